import type { ManifestEntry, ManifestVariant } from "@miaobu/shared";

/** The representation of a file chosen for a request. */
export interface Representation {
  /** The blob to read: the file itself or one of its pre-compressed variants. */
  hash: string;
  size: number;
  encoding: "br" | "gzip" | null;
}

/** Strong ETag of a representation: the SHA-256 of its bytes, which is what it is stored by. */
export function etagOf(hash: string): string {
  return `"${hash}"`;
}

/**
 * True when an `If-None-Match` value (`*` or a list of tags) matches any representation of the file.
 * Comparison is weak, as RFC 9110 requires for If-None-Match, so `W/"<hash>"` matches too.
 */
export function ifNoneMatchMatches(header: string | null, entry: ManifestEntry): boolean {
  if (header === null) return false;
  const tags = new Set(
    [entry.hash, entry.variants?.br?.hash, entry.variants?.gzip?.hash].map((h) => h && etagOf(h)),
  );
  for (const raw of header.split(",")) {
    const tag = raw.trim();
    if (tag === "*") return true;
    if (tags.has(tag.startsWith("W/") ? tag.slice(2) : tag)) return true;
  }
  return false;
}

/** Parses `Accept-Encoding` into coding → q-value; `*` covers codings not named. */
function acceptedCodings(header: string): Map<string, number> {
  const codings = new Map<string, number>();
  for (const part of header.split(",")) {
    const [name = "", ...params] = part.trim().toLowerCase().split(";");
    if (name === "") continue;
    let q = 1;
    for (const param of params) {
      const [key, value] = param.trim().split("=");
      if (key === "q" && value !== undefined) {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? parsed : 0;
      }
    }
    codings.set(name.trim(), q);
  }
  return codings;
}

function accepts(codings: Map<string, number>, name: string): boolean {
  const q = codings.get(name) ?? codings.get("*");
  return q !== undefined && q > 0;
}

/** Picks br, then gzip, then identity, among the stored variants the client accepts. */
export function chooseRepresentation(entry: ManifestEntry, acceptEncoding: string | null): Representation {
  const identity: Representation = { hash: entry.hash, size: entry.size, encoding: null };
  if (!entry.variants || !acceptEncoding) return identity;
  const codings = acceptedCodings(acceptEncoding);
  const pick = (variant: ManifestVariant | undefined, encoding: "br" | "gzip") =>
    variant && accepts(codings, encoding) ? { hash: variant.hash, size: variant.size, encoding } : null;
  return pick(entry.variants.br, "br") ?? pick(entry.variants.gzip, "gzip") ?? identity;
}

/** A byte range to serve, inclusive; or why the Range header cannot be honoured. */
export type RangeResult =
  | { kind: "range"; start: number; end: number }
  | { kind: "unsatisfiable" }
  | { kind: "ignore" };

/**
 * Interprets a `Range` header for a body of `size` bytes. One range is served; several ranges or a
 * malformed header are ignored (the whole file is sent, as RFC 9110 allows); a range starting past the
 * end is unsatisfiable (416).
 */
export function parseRange(header: string | null, size: number): RangeResult {
  if (header === null) return { kind: "ignore" };
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match) return { kind: "ignore" };
  const [, first = "", last = ""] = match;
  if (first === "" && last === "") return { kind: "ignore" };
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== "" && Number(last) < start) return { kind: "ignore" };
  if (start >= size) return { kind: "unsatisfiable" };
  return { kind: "range", start, end };
}

/** `If-Range` lets a client resume only if the file is unchanged: a range applies when its tag matches. */
export function ifRangeAllows(header: string | null, entry: ManifestEntry): boolean {
  return header === null || header.trim() === etagOf(entry.hash);
}
