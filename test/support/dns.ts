// A real DNS server on loopback for tests: Debian's pebble-challtestsrv (records set through its management
// API, as ACME's own test suites do) and a DNS-over-HTTPS JSON bridge in front of it, so code that asks
// `MIAOBU_DOH_URL` asks a real DNS server. Pebble uses the same server for its own lookups.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { promises as dns } from "node:dns";
import { createServer } from "node:http";
import { type AddressInfo, createServer as createTcpServer } from "node:net";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
const TYPE_CODES = { A: 1, CNAME: 5, TXT: 16, AAAA: 28, CAA: 257 } as const;
type DnsType = keyof typeof TYPE_CODES;

/** A free TCP port on loopback (UDP on the same number is free in practice on a test machine). */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(url, { method: "POST", body: "{}" });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`${url} did not start`);
}

export interface TestDns {
  /** The DoH JSON endpoint (`MIAOBU_DOH_URL`). */
  dohUrl: string;
  /** pebble-challtestsrv's management API: `/set-txt`, `/add-a`, `/set-cname`, `/clear-…`. */
  managementUrl: string;
  /** `127.0.0.1:port` of the DNS server itself, for Pebble's `-dnsserver`. */
  dnsServer: string;
  stop(): void;
}

/** Ensures pebble is installed, starts pebble-challtestsrv (DNS only) and the DoH bridge. */
export async function startTestDns(): Promise<TestDns> {
  execFileSync("bash", [path.join(ROOT, "scripts/ensure-pebble.sh")], { stdio: "inherit" });
  const dnsPort = await freePort();
  const managementPort = await freePort();
  // No default addresses: a name answers only what a test set, so "points nowhere" can be tested.
  const child: ChildProcess = spawn(
    "pebble-challtestsrv",
    [
      "-defaultIPv4",
      "",
      "-defaultIPv6",
      "",
      "-dns01",
      `127.0.0.1:${dnsPort}`,
      "-http01",
      "",
      "-https01",
      "",
      "-tlsalpn01",
      "",
      "-management",
      `127.0.0.1:${managementPort}`,
    ],
    { stdio: "ignore" },
  );
  child.unref();
  const stopChild = () => child.kill();
  process.once("exit", stopChild);
  const managementUrl = `http://127.0.0.1:${managementPort}`;
  await waitFor(`${managementUrl}/clear-txt`);

  const resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${dnsPort}`]);
  const bridge = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const name = (url.searchParams.get("name") ?? "").replace(/\.$/, "");
    const type = (url.searchParams.get("type") ?? "A").toUpperCase() as DnsType;
    const answer = (data: string) => ({ name: `${name}.`, type: TYPE_CODES[type], TTL: 60, data });
    let body: { Status: number; Answer?: ReturnType<typeof answer>[] };
    try {
      if (!(type in TYPE_CODES)) throw Object.assign(new Error("type"), { code: "EBADQUERY" });
      const records = (await resolver.resolve(name, type)) as unknown[];
      const data = records.map((r) => {
        if (type === "TXT") return (r as string[]).map((s) => JSON.stringify(s)).join(" ");
        if (type === "CNAME") return `${String(r)}.`;
        if (type === "CAA") {
          const caa = r as { critical: number; issue?: string; issuewild?: string; iodef?: string };
          const [tag, value] = Object.entries(caa).find(([k]) => k !== "critical") ?? ["issue", ""];
          return `${caa.critical} ${tag} "${String(value)}"`;
        }
        return String(r);
      });
      body = { Status: 0, Answer: data.map(answer) };
    } catch (error) {
      const code = (error as { code?: string }).code;
      body = { Status: code === "ENOTFOUND" ? 3 : code === "ENODATA" ? 0 : 2 };
    }
    res.writeHead(200, { "Content-Type": "application/dns-json" });
    res.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => bridge.listen(0, "127.0.0.1", resolve));
  bridge.unref();
  const { port } = bridge.address() as AddressInfo;
  return {
    dohUrl: `http://127.0.0.1:${port}/dns-query`,
    managementUrl,
    dnsServer: `127.0.0.1:${dnsPort}`,
    stop() {
      stopChild();
      bridge.close();
    },
  };
}
