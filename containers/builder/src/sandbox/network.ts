// Outbound internet for a jailed build without a path to the host: the jail has its own network namespace,
// slirp4netns gives it a user-mode NAT (`--disable-host-loopback`, so 10.0.2.2 does not reach the host's
// 127.0.0.1), and blackhole routes inside the namespace drop private, link-local, CGNAT and metadata
// addresses and every address of the host itself. The build's user has no capability in that namespace,
// so it cannot change the routes.
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import { runProcess } from "../process.ts";

/** slirp4netns' fixed addresses: its DNS forwarder is the only name server a jail uses. */
export const SLIRP_DNS = "10.0.2.3";

/** IPv4 ranges a build may never reach (slirp's own 10.0.2.0/24 stays reachable: it is more specific). */
const BLOCKED_V4 = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "224.0.0.0/4",
  "240.0.0.0/4",
];

/** The `ip -batch` lines that make the jail's blackhole routes, host addresses included. */
export function blackholeRoutes(): string {
  const own = Object.values(os.networkInterfaces())
    .flat()
    .filter((address) => address !== undefined && address.family === "IPv4" && !address.internal)
    .map((address) => `${address?.address}/32`);
  return `${[...BLOCKED_V4, ...own].map((range) => `route add blackhole ${range}`).join("\n")}\n`;
}

/** A running slirp4netns attached to one jail. */
export interface JailNetwork {
  stop(): void;
}

/**
 * Gives the network namespace of `pid` outbound internet through slirp4netns and installs the blackhole
 * routes (written to `routesFile`, which only the builder reads). Resolves once the jail can connect.
 */
export async function attachNetwork(pid: number, routesFile: string): Promise<JailNetwork> {
  await loopbackReady(pid);
  const slirp = spawn(
    "slirp4netns",
    [
      "--configure",
      "--mtu=65520",
      "--disable-host-loopback",
      // slirp4netns runs as root and parses the jail's packets: it confines itself (own mount namespace,
      // no capabilities, a seccomp filter) once the tap device is up.
      "--enable-sandbox",
      "--enable-seccomp",
      "--ready-fd=3",
      // By path: slirp4netns 1.2 given a pid fails setns into a namespace owned by another user namespace.
      "--netns-type=path",
      `/proc/${pid}/ns/net`,
      "tap0",
    ],
    { stdio: ["ignore", "ignore", "pipe", "pipe"], env: { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" } },
  );
  const stop = () => {
    if (slirp.exitCode === null && slirp.signalCode === null) slirp.kill("SIGKILL");
  };
  let stderr = "";
  slirp.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2000);
  });
  try {
    await new Promise<void>((resolve, reject) => {
      const ready = slirp.stdio[3];
      if (!ready) return reject(new Error("slirp4netns has no ready pipe"));
      ready.on("error", () => undefined);
      ready.once("data", () => resolve());
      slirp.once("error", reject);
      slirp.once("exit", (code) => reject(new Error(`slirp4netns exited with ${code}: ${stderr.trim()}`)));
    });
    await writeFile(routesFile, blackholeRoutes(), { mode: 0o600 });
    const routed = await runProcess(
      "nsenter",
      [`--target=${pid}`, "--net", "--", "ip", "-batch", routesFile],
      {
        cwd: "/",
        env: { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
      },
    );
    if (routed.code !== 0) throw new Error(`could not install the jail's routes (ip exited ${routed.code})`);
  } catch (error) {
    stop();
    throw error;
  }
  return { stop };
}

/**
 * bwrap brings up the jail's loopback after it reports the jail's pid; configuring the namespace at the same
 * moment makes one of the two fail (seen: "loopback: Failed RTM_NEWADDR"). Waits until `lo` is up: its
 * IPv6 address appears only then (or, without IPv6, its IPv4 one).
 */
async function loopbackReady(pid: number): Promise<void> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const v6 = await readFile(`/proc/${pid}/net/if_inet6`, "utf8").catch(() => null);
    const up =
      v6 !== null
        ? /\slo$/m.test(v6)
        : (await readFile(`/proc/${pid}/net/fib_trie`, "utf8").catch(() => "")).includes("127.0.0.1");
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error("the jail's loopback did not come up");
}
