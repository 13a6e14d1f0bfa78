// The jail itself, attacked directly: what a step can see, reach and use up, and what it leaves behind.
// Runs as root (as the platform's builder does); the hostile-build e2e suite attacks it through real builds.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import os, { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { processesRunning } from "../../../test/support/processes.ts";
import type { RunAs } from "../src/process.ts";
import type { Jail, NetworkMode } from "../src/sandbox/jail.ts";
import { DEFAULT_LIMITS } from "../src/sandbox/limits.ts";
import { unmountUnder } from "../src/sandbox/mounts.ts";
import { Sandboxes } from "../src/sandbox/sandboxes.ts";
import { ensureUser } from "../src/sandbox/users.ts";
import { leaseUserName } from "../src/user-lease.ts";

const asRoot = process.getuid?.() === 0;
const MB = 1024 * 1024;
let base: string;
let sandboxes: Sandboxes;
let user: RunAs;
let server: Server;
let port: number;
const secret = `host-secret-${randomBytes(8).toString("hex")}`;

beforeAll(async () => {
  if (!asRoot) return;
  base = await mkdtemp(path.join(tmpdir(), "miaobu-jail-"));
  // Jails are made as the build user, who must reach the work folder (the builder checks this at start).
  await chmod(base, 0o711);
  await writeFile(path.join(base, "secret.txt"), secret, { mode: 0o644 });
  sandboxes = await Sandboxes.create({
    workDir: path.join(base, "work"),
    limits: { ...DEFAULT_LIMITS, diskBytes: 128 * MB, memoryBytes: 256 * MB, processes: 64 },
    unsafe: false,
    readOnly: [path.dirname(process.execPath)],
  });
  user = await ensureUser(leaseUserName("miaobu-build", 90));
  // A service of the host on every interface, as a platform's API or builder might be.
  server = createServer((socket) => socket.end(`${secret}\n`));
  await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
  const address = server.address();
  port = typeof address === "object" && address ? address.port : 0;
});

afterAll(async () => {
  server?.close();
  if (base) await rm(base, { recursive: true, force: true });
});

/** Runs a shell script in a fresh jail and returns its output; the jail is removed afterwards. */
async function inJail(
  script: string,
  network: NetworkMode = "none",
  after?: (jail: Jail) => Promise<void>,
  env: Record<string, string> = {},
): Promise<{ code: number | null; out: string }> {
  const jail = await sandboxes.open("slot-t", user);
  const lines: string[] = [];
  try {
    const result = await jail.run({
      command: "sh",
      args: ["-c", script],
      cwd: "/build/src",
      env: { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: "/build/home", ...env },
      network,
      onLine: (_stream, text) => lines.push(text),
    });
    if (after) await after(jail);
    return { code: result.code, out: lines.join("\n") };
  } finally {
    await sandboxes.close(jail);
  }
}

describe.skipIf(!asRoot)("the build jail", () => {
  it("shows no host file: not the platform's folders, /root, the host's /tmp or /etc/shadow", async () => {
    const { out } = await inJail(
      `cat ${base}/secret.txt /etc/shadow 2>&1; ls /root ${base} 2>&1; ls /tmp; grep -rs ${secret} / --exclude-dir=proc --exclude-dir=sys --exclude-dir=usr; echo done`,
    );
    expect(out).toContain("done");
    expect(out).not.toContain(secret);
    expect(out).not.toMatch(/^root:/m);
    expect(out).toMatch(/No such file/);
  });

  it("gives a project's variables to the step only, never to the programs that run as root before it", async () => {
    // LD_PRELOAD would run the project's code as root in them; LD_DEBUG shows who loads libraries.
    const { out } = await inJail("/usr/bin/true", "none", undefined, { LD_DEBUG: "libs" });
    expect(out).toMatch(/calling init|find library/);
    expect(out).not.toMatch(/prlimit|setpriv|bwrap/);
  });

  it("sees only its own processes, as an unprivileged user with no capabilities", async () => {
    const { out } = await inJail("id -u; ls /proc | grep -c '^[0-9]'; grep CapEff /proc/self/status");
    const [uid, count, caps] = out.split("\n");
    expect(Number(uid)).toBe(user.uid);
    expect(Number(count)).toBeLessThan(6);
    expect(caps).toMatch(/CapEff:\s+0+$/);
  });

  it("cannot write outside its workspace, and its /tmp is its own", async () => {
    const marker = `miaobu-jail-${randomBytes(4).toString("hex")}`;
    const { out } = await inJail(
      `echo x > /tmp/${marker} && echo tmp-ok; echo x > /usr/${marker} 2>&1; echo x > /var/tmp/${marker}.v && echo var-ok; echo x > /dev/shm/${marker} && echo shm-ok`,
    );
    expect(out).toContain("tmp-ok");
    expect(out).toMatch(/Read-only file system/);
    expect(existsSync(`/tmp/${marker}`)).toBe(false);
    expect(existsSync(`/var/tmp/${marker}.v`)).toBe(false);
    expect(existsSync(`/dev/shm/${marker}`)).toBe(false);
  });

  it("fills its own disk, not the host's, and leaves nothing behind", async () => {
    let workspace = "";
    const { code, out } = await inJail(
      "dd if=/dev/zero of=/build/fill bs=1M count=400 2>&1; echo dd=$?",
      "none",
      async (jail) => {
        workspace = jail.workspace.host;
        expect(await jail.workspace.full()).toBe(true);
      },
    );
    expect(code).toBe(0);
    expect(out).toMatch(/No space left on device/);
    expect(out).toMatch(/dd=1/);
    expect(existsSync(path.join(workspace, "fill"))).toBe(false);
    const mounts = await readFile("/proc/self/mounts", "utf8");
    expect(mounts).not.toContain(workspace);
  });

  it("leaves no filesystem mounted once a killed builder's folder is cleaned up", async () => {
    const jail = await sandboxes.open("slot-killed", user);
    const mounts = () => readFile("/proc/self/mounts", "utf8");
    expect(await mounts()).toContain(jail.workspace.host);
    // As after a SIGKILL: nobody closed the jail. The platform unmounts before removing the folder.
    await unmountUnder(path.join(base, "work"));
    expect(await mounts()).not.toContain(jail.workspace.host);
    await sandboxes.close(jail);
  });

  it("leaves no process running when a step ends, even one that left its session", async () => {
    const marker = `${600 + Math.floor(Math.random() * 300)}`;
    await inJail(`setsid sleep ${marker} & nohup sleep ${marker} >/dev/null 2>&1 & echo started`);
    expect(processesRunning(`sleep ${marker}`)).toEqual([]);
  });

  it("cannot start more processes than its limit (a fork bomb fails)", async () => {
    const bombMarker = `30.${randomBytes(3).readUIntBE(0, 3)}`;
    const bomb = `const { spawn } = require("node:child_process"); let started = 0;
for (let i = 0; i < 200; i++) { const c = spawn("sleep", ["${bombMarker}"]); c.on("error", () => {}); if (c.pid) started++; }
console.log("started=" + started); process.exit(0);`;
    let hit = false;
    const { out } = await inJail(`node -e '${bomb}'`, "none", async (jail) => {
      hit = (await jail.cgroup?.processLimitHit()) ?? false;
    });
    expect(hit).toBe(true);
    const started = Number(/started=(\d+)/.exec(out)?.[1]);
    expect(started).toBeGreaterThan(10);
    expect(started).toBeLessThan(64);
    expect(processesRunning(`sleep ${bombMarker}`)).toEqual([]);
  });

  it("is killed when it uses more memory than its limit", async () => {
    let oom = false;
    const { code } = await inJail(
      `node -e "const a=[]; for(;;) a.push(Buffer.alloc(16*1024*1024, 1))"`,
      "none",
      async (jail) => {
        oom = (await jail.cgroup?.oomKilled()) ?? false;
      },
    );
    expect(code).not.toBe(0);
    expect(oom).toBe(true);
  });

  it("has no network at all in `none` mode", async () => {
    const { out } = await inJail(
      `ip -o link | grep -v ' lo:' | wc -l; (exec 3<>/dev/tcp/127.0.0.1/${port}) 2>&1 || echo refused`,
    );
    expect(out.split("\n")[0]).toBe("0");
  });

  it("reaches the internet but not the host's services, private or metadata addresses", async () => {
    const hostAddresses = Object.values(os.networkInterfaces())
      .flat()
      .filter((a) => a && a.family === "IPv4" && !a.internal)
      .map((a) => a?.address ?? "");
    const targets = ["127.0.0.1", "10.0.2.2", "169.254.169.254", "192.168.1.1", ...hostAddresses];
    const probe = `
const net = require("node:net");
const targets = ${JSON.stringify(targets)};
const one = (host) => new Promise((done) => {
  const s = net.connect({ host, port: ${port}, timeout: 3000 });
  s.on("data", (d) => { done(host + " READ " + d); s.destroy(); });
  s.on("connect", () => setTimeout(() => { done(host + " CONNECTED"); s.destroy(); }, 500));
  s.on("timeout", () => { done(host + " timeout"); s.destroy(); });
  s.on("error", (e) => done(host + " " + e.code));
});
Promise.all(targets.map(one)).then((r) => console.log(r.join("\\n")));
require("node:dns").lookup("registry.npmjs.org", (e, a) => console.log("dns", e ? e.code : "ok"));
`;
    const { out } = await inJail(`node -e '${probe.replaceAll("'", "'\\''")}'`, "internet");
    expect(out).not.toContain(secret);
    expect(out).not.toMatch(/CONNECTED|READ/);
    for (const target of targets) expect(out).toContain(target);
    expect(out).toContain("dns ok");
  });
});
