import { describe, expect, it } from "vitest";
import { clientAddress, LOCAL_CLIENT, trustsCfConnectingIp } from "../src/client-address.ts";

const request = (headers: Record<string, string>, cf?: Record<string, unknown>) =>
  ({ headers: new Headers(headers), cf }) as unknown as Request;

describe("clientAddress", () => {
  it("is CF-Connecting-IP where Cloudflare sets it", () => {
    expect(clientAddress(request({ "CF-Connecting-IP": "198.51.100.7" }), true)).toBe("198.51.100.7");
  });

  it("ignores a client's CF-Connecting-IP and request.cf on the local platform", () => {
    const spoofed = request({ "CF-Connecting-IP": "198.51.100.7" }, { clientIp: "203.0.113.9" });
    expect(clientAddress(spoofed, false)).toBe(LOCAL_CLIENT);
    expect(clientAddress(request({}), false)).toBe(LOCAL_CLIENT);
  });

  it("falls back to one identity when Cloudflare sent none", () => {
    expect(clientAddress(request({}), true)).toBe(LOCAL_CLIENT);
  });
});

describe("trustsCfConnectingIp", () => {
  it.each([
    ["", "example.site", true],
    ["", "localhost", false],
    [undefined, "localhost", false],
    ["true", "localhost", true],
    ["false", "example.site", false],
    [" TRUE ", "example.site", true],
  ] as const)("%j with sites on %s: %s", (raw, base, expected) => {
    expect(trustsCfConnectingIp(raw, base)).toBe(expected);
  });

  it("refuses anything else", () => {
    expect(() => trustsCfConnectingIp("yes", "example.site")).toThrow(/MIAOBU_TRUST_CF_CONNECTING_IP/);
  });
});
