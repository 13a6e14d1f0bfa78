// IP address literals in every form a resolver accepts, and the ranges a server-side fetch must not reach.
// `inet_aton` (used by getaddrinfo, so by git and curl) reads `127.1`, `2130706433`, `0x7f000001` and
// `0177.0.0.1` as 127.0.0.1; WHATWG URLs normalize those for http(s) only, not for `git://`.

/** What an address is, for a server deciding whether to connect to it. */
export type AddressKind =
  | "public"
  | "loopback"
  | "unspecified"
  | "private"
  | "shared"
  | "link-local"
  | "multicast"
  | "reserved";

/** An IP literal, classified. */
export interface ClassifiedAddress {
  version: 4 | 6;
  /** Canonical text: dotted decimal, or compressed lowercase IPv6 without brackets. */
  address: string;
  kind: AddressKind;
  /** The IPv4 address an IPv6 one embeds (mapped, compatible, NAT64, 6to4) when that decides its kind. */
  ipv4?: string;
}

const V4_PART = /^(?:0x[0-9a-f]*|0[0-7]*|[1-9][0-9]*)$/i;

function partValue(part: string): number | null {
  if (!V4_PART.test(part)) return null;
  if (/^0x/i.test(part)) return part.length === 2 ? 0 : Number.parseInt(part.slice(2), 16);
  if (part.length > 1 && part.startsWith("0")) return Number.parseInt(part.slice(1), 8);
  return Number(part);
}

/** An IPv4 address as `inet_aton` reads it (1 to 4 decimal, octal or hex parts) → 32-bit number, or null. */
export function parseIPv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length > 4) return null;
  const values: number[] = [];
  for (const part of parts) {
    const value = partValue(part);
    if (value === null || !Number.isSafeInteger(value)) return null;
    values.push(value);
  }
  const last = values.pop() ?? 0;
  if (values.some((v) => v > 255) || last >= 256 ** (4 - values.length)) return null;
  return values.reduce((sum, v, i) => sum + v * 256 ** (3 - i), 0) + last;
}

/** A 32-bit number → dotted decimal. */
export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

const STRICT_V4 = /^(?:0|[1-9][0-9]{0,2})(?:\.(?:0|[1-9][0-9]{0,2})){3}$/;

function groupsOf(side: string): number[] | null {
  if (side === "") return [];
  const out: number[] = [];
  const parts = side.split(":");
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes(".")) {
      if (!STRICT_V4.test(part)) return null;
      const v4 = parseIPv4(part);
      if (v4 === null) return null;
      out.push(v4 >>> 16, v4 & 0xffff);
    } else if (/^[0-9a-f]{1,4}$/i.test(part)) {
      out.push(Number.parseInt(part, 16));
    } else {
      return null;
    }
  }
  return out;
}

/** IPv6 text (no brackets, no zone) → its eight 16-bit groups, or null. */
export function parseIPv6(text: string): number[] | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = groupsOf(halves[0] ?? "");
  if (halves.length === 1) return head !== null && head.length === 8 ? head : null;
  const tail = groupsOf(halves[1] ?? "");
  if (head === null || tail === null || head.length + tail.length > 7) return null;
  // A dotted IPv4 part may only end the address.
  if ((halves[0] ?? "").includes(".")) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** Eight groups → the RFC 5952 text: lowercase, the longest run of two or more zero groups as `::`. */
export function formatIPv6(groups: readonly number[]): string {
  let best = { start: -1, length: 0 };
  for (let i = 0; i < groups.length; ) {
    let j = i;
    while (j < groups.length && groups[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start === -1) return hex.join(":");
  const head = hex.slice(0, best.start).join(":");
  const tail = hex.slice(best.start + best.length).join(":");
  return `${head}::${tail}`;
}

type Range = readonly [base: number, prefix: number, kind: AddressKind];

const V4_RANGES: readonly Range[] = [
  [0x00000000, 8, "unspecified"],
  [0x0a000000, 8, "private"],
  [0x64400000, 10, "shared"],
  [0x7f000000, 8, "loopback"],
  [0xa9fe0000, 16, "link-local"],
  [0xac100000, 12, "private"],
  [0xc0000000, 24, "reserved"],
  [0xc0a80000, 16, "private"],
  [0xc6120000, 15, "reserved"],
  [0xe0000000, 4, "multicast"],
  [0xf0000000, 4, "reserved"],
];

function kindOfIPv4(n: number): AddressKind {
  for (const [base, prefix, kind] of V4_RANGES) {
    if (Math.floor(n / 2 ** (32 - prefix)) === Math.floor(base / 2 ** (32 - prefix))) return kind;
  }
  return "public";
}

const v4Of = (high: number, low: number) => high * 0x10000 + low;

function classifyIPv6(g: readonly number[]): ClassifiedAddress {
  const address = formatIPv6(g);
  const six = (kind: AddressKind): ClassifiedAddress => ({ version: 6, address, kind });
  const embedding = (n: number): ClassifiedAddress => {
    const kind = kindOfIPv4(n);
    return { version: 6, address, kind, ipv4: formatIPv4(n) };
  };
  const [a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, h7 = 0, h8 = 0] = g;
  const zeroTo = (n: number) => g.slice(0, n).every((x) => x === 0);
  if (zeroTo(8)) return six("unspecified");
  if (zeroTo(7) && h8 === 1) return six("loopback");
  // ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible), ::ffff:0:a.b.c.d (translated), 64:ff9b::a.b.c.d (NAT64).
  if (zeroTo(5) && (f === 0xffff || f === 0)) return embedding(v4Of(h7, h8));
  if (zeroTo(4) && e === 0xffff && f === 0) return embedding(v4Of(h7, h8));
  if (a === 0x64 && b === 0xff9b && c === 0 && d === 0 && e === 0 && f === 0) return embedding(v4Of(h7, h8));
  if (a === 0x64 && b === 0xff9b && c === 1) return six("private");
  if (a === 0x100 && b === 0 && c === 0 && d === 0) return six("reserved");
  if (a === 0x2002) {
    const inner = embedding(v4Of(b, c));
    return inner.kind === "public" ? six("public") : inner;
  }
  if ((a & 0xfe00) === 0xfc00) return six("private");
  if ((a & 0xffc0) === 0xfe80) return six("link-local");
  if ((a & 0xffc0) === 0xfec0) return six("private");
  if ((a & 0xff00) === 0xff00) return six("multicast");
  return six("public");
}

/** An IP literal (any IPv4 form; IPv6 with or without brackets) classified, or null when it is not one. */
export function classifyAddress(text: string): ClassifiedAddress | null {
  const bracketed = text.startsWith("[") && text.endsWith("]");
  const inner = bracketed ? text.slice(1, -1) : text;
  if (inner.includes(":")) {
    const groups = parseIPv6(inner);
    return groups === null ? null : classifyIPv6(groups);
  }
  if (bracketed) return null;
  const n = parseIPv4(inner);
  return n === null ? null : { version: 4, address: formatIPv4(n), kind: kindOfIPv4(n) };
}
