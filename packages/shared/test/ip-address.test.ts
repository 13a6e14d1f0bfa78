import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classifyAddress, formatIPv4, formatIPv6, parseIPv4, parseIPv6 } from "../src/ip-address.ts";

describe("parseIPv4", () => {
  it.each([
    ["127.0.0.1", 0x7f000001],
    ["2130706433", 0x7f000001],
    ["0x7f000001", 0x7f000001],
    ["0X7F000001", 0x7f000001],
    ["0177.0.0.1", 0x7f000001],
    ["0177.0.0.01", 0x7f000001],
    ["127.1", 0x7f000001],
    ["127.0.1", 0x7f000001],
    ["0x7f.1", 0x7f000001],
    ["0", 0],
    ["0x", 0],
    ["169.254.43518", 0xa9fea9fe],
    ["255.255.255.255", 0xffffffff],
    ["4294967295", 0xffffffff],
  ])("%j is %d", (text, value) => {
    expect(parseIPv4(text)).toBe(value);
  });

  it.each([
    "",
    "1.2.3.4.5",
    "256.0.0.1",
    "1.256.0.1",
    "1.2.65536",
    "4294967296",
    "08.0.0.1",
    "1..2",
    "1.2.3.",
    ".1.2.3",
    "1.2.3.a",
    "0x1g",
    "-1",
    "1 .2.3.4",
    "example.com",
  ])("%j is not an IPv4 address", (text) => {
    expect(parseIPv4(text)).toBeNull();
  });

  it("reads back every dotted address it formats", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        expect(parseIPv4(formatIPv4(n))).toBe(n);
        expect(parseIPv4(String(n))).toBe(n);
        expect(parseIPv4(`0x${n.toString(16)}`)).toBe(n);
        expect(parseIPv4(`0${n.toString(8)}`)).toBe(n);
      }),
    );
  });
});

describe("parseIPv6", () => {
  it.each([
    ["::", [0, 0, 0, 0, 0, 0, 0, 0]],
    ["::1", [0, 0, 0, 0, 0, 0, 0, 1]],
    ["fe80::1", [0xfe80, 0, 0, 0, 0, 0, 0, 1]],
    ["::ffff:127.0.0.1", [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
    ["::FFFF:7f00:1", [0, 0, 0, 0, 0, 0xffff, 0x7f00, 1]],
    ["1:2:3:4:5:6:7:8", [1, 2, 3, 4, 5, 6, 7, 8]],
    ["1:2:3:4:5:6:1.2.3.4", [1, 2, 3, 4, 5, 6, 0x102, 0x304]],
    ["2001:db8::", [0x2001, 0xdb8, 0, 0, 0, 0, 0, 0]],
  ])("%j", (text, groups) => {
    expect(parseIPv6(text)).toEqual(groups);
  });

  it.each([
    "",
    ":",
    ":::",
    "1::2::3",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7::8",
    "12345::",
    "fe80::1%eth0",
    "::ffff:127.1",
    "::ffff:0177.0.0.1",
    "::1.2.3.4:5",
    "g::",
    "127.0.0.1",
  ])("%j is not an IPv6 address", (text) => {
    expect(parseIPv6(text)).toBeNull();
  });

  it("reads back every address it formats", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 8, maxLength: 8 }), (groups) => {
        expect(parseIPv6(formatIPv6(groups))).toEqual(groups);
      }),
    );
  });

  it("formats the canonical, compressed form", () => {
    expect(formatIPv6([0, 0, 0, 0, 0, 0, 0, 1])).toBe("::1");
    expect(formatIPv6([0, 0, 0, 0, 0, 0, 0, 0])).toBe("::");
    expect(formatIPv6([0x2001, 0xdb8, 0, 0, 1, 0, 0, 1])).toBe("2001:db8::1:0:0:1");
    expect(formatIPv6([0x2001, 0xdb8, 0, 1, 1, 1, 1, 1])).toBe("2001:db8:0:1:1:1:1:1");
  });
});

describe("classifyAddress", () => {
  it.each([
    ["127.0.0.1", "loopback", "127.0.0.1"],
    ["0x7f000001", "loopback", "127.0.0.1"],
    ["2130706433", "loopback", "127.0.0.1"],
    ["0177.0.0.1", "loopback", "127.0.0.1"],
    ["127.1", "loopback", "127.0.0.1"],
    ["127.255.255.254", "loopback", "127.255.255.254"],
    ["0.0.0.0", "unspecified", "0.0.0.0"],
    ["0", "unspecified", "0.0.0.0"],
    ["0.1.2.3", "unspecified", "0.1.2.3"],
    ["10.0.0.1", "private", "10.0.0.1"],
    ["172.16.0.1", "private", "172.16.0.1"],
    ["172.31.255.255", "private", "172.31.255.255"],
    ["192.168.1.1", "private", "192.168.1.1"],
    ["100.64.0.1", "shared", "100.64.0.1"],
    ["100.127.255.255", "shared", "100.127.255.255"],
    ["169.254.169.254", "link-local", "169.254.169.254"],
    ["169.254.43518", "link-local", "169.254.169.254"],
    ["192.0.0.8", "reserved", "192.0.0.8"],
    ["198.18.0.1", "reserved", "198.18.0.1"],
    ["224.0.0.1", "multicast", "224.0.0.1"],
    ["239.255.255.250", "multicast", "239.255.255.250"],
    ["240.0.0.1", "reserved", "240.0.0.1"],
    ["255.255.255.255", "reserved", "255.255.255.255"],
    ["8.8.8.8", "public", "8.8.8.8"],
    ["172.15.255.255", "public", "172.15.255.255"],
    ["172.32.0.0", "public", "172.32.0.0"],
    ["100.63.255.255", "public", "100.63.255.255"],
    ["100.128.0.0", "public", "100.128.0.0"],
    ["198.20.0.0", "public", "198.20.0.0"],
    // Documentation ranges: this machine's own hosts live there, so they are not private.
    ["192.0.2.1", "public", "192.0.2.1"],
    ["198.51.100.7", "public", "198.51.100.7"],
    ["203.0.113.80", "public", "203.0.113.80"],
  ])("%j is %s (%s)", (text, kind, address) => {
    expect(classifyAddress(text)).toMatchObject({ kind, address, version: 4 });
  });

  it.each([
    ["::1", "loopback", null],
    ["[::1]", "loopback", null],
    ["0:0:0:0:0:0:0:1", "loopback", null],
    ["::", "unspecified", null],
    ["::ffff:127.0.0.1", "loopback", "127.0.0.1"],
    ["[::ffff:7f00:1]", "loopback", "127.0.0.1"],
    ["::ffff:169.254.169.254", "link-local", "169.254.169.254"],
    ["::ffff:10.1.2.3", "private", "10.1.2.3"],
    ["::ffff:8.8.8.8", "public", "8.8.8.8"],
    ["::127.0.0.1", "loopback", "127.0.0.1"],
    ["::ffff:0:127.0.0.1", "loopback", "127.0.0.1"],
    ["64:ff9b::7f00:1", "loopback", "127.0.0.1"],
    ["64:ff9b::a9fe:a9fe", "link-local", "169.254.169.254"],
    ["64:ff9b::808:808", "public", "8.8.8.8"],
    ["64:ff9b:1::1", "private", null],
    ["2002:7f00:1::", "loopback", "127.0.0.1"],
    ["fe80::1", "link-local", null],
    ["febf:ffff::1", "link-local", null],
    ["fec0::1", "private", null],
    ["fc00::1", "private", null],
    ["fd00:ec2::254", "private", null],
    ["ff02::1", "multicast", null],
    ["100::1", "reserved", null],
    ["2606:4700::1111", "public", null],
    ["2001:db8::1", "public", null],
  ])("%j is %s", (text, kind, ipv4) => {
    const classified = classifyAddress(text);
    expect(classified).toMatchObject({ kind, version: 6 });
    expect(classified?.ipv4 ?? null).toBe(ipv4);
  });

  it.each(["example.com", "localhost", "1.2.3.4.5", "[127.0.0.1]", "[::1", "::1]", "fe80::1%25eth0", ""])(
    "%j is not an address",
    (text) => {
      expect(classifyAddress(text)).toBeNull();
    },
  );

  it("classifies an IPv4-mapped address like the IPv4 address itself", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const v4 = classifyAddress(formatIPv4(n));
        const mapped = classifyAddress(`::ffff:${formatIPv4(n)}`);
        expect(mapped?.kind).toBe(v4?.kind);
        expect(mapped?.ipv4).toBe(v4?.address);
      }),
    );
  });

  it("gives every way of writing an IPv4 address the same class and canonical form", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const dotted = classifyAddress(formatIPv4(n));
        for (const form of [String(n), `0x${n.toString(16)}`, `0${n.toString(8)}`]) {
          expect(classifyAddress(form)).toEqual(dotted);
        }
      }),
    );
  });
});
