// As Pages serves them: a charset only on text/* types (wrangler's asset server adds `; charset=utf-8` to
// those alone; JSON and XML carry their own encoding rules).
const TYPES: Record<string, string> = {
  html: "text/html; charset=utf-8",
  htm: "text/html; charset=utf-8",
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  mjs: "text/javascript; charset=utf-8",
  cjs: "text/javascript; charset=utf-8",
  json: "application/json",
  map: "application/json",
  webmanifest: "application/manifest+json",
  xml: "application/xml",
  rss: "application/rss+xml",
  atom: "application/atom+xml",
  txt: "text/plain; charset=utf-8",
  md: "text/markdown; charset=utf-8",
  csv: "text/csv; charset=utf-8",
  ics: "text/calendar; charset=utf-8",
  vtt: "text/vtt; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
  avif: "image/avif",
  ico: "image/x-icon",
  bmp: "image/bmp",
  tif: "image/tiff",
  tiff: "image/tiff",
  woff: "font/woff",
  woff2: "font/woff2",
  ttf: "font/ttf",
  otf: "font/otf",
  eot: "application/vnd.ms-fontobject",
  wasm: "application/wasm",
  pdf: "application/pdf",
  zip: "application/zip",
  gz: "application/gzip",
  tar: "application/x-tar",
  mp3: "audio/mpeg",
  wav: "audio/wav",
  ogg: "audio/ogg",
  m4a: "audio/mp4",
  flac: "audio/flac",
  mp4: "video/mp4",
  webm: "video/webm",
  mov: "video/quicktime",
  m3u8: "application/vnd.apple.mpegurl",
  ts: "video/mp2t",
  glb: "model/gltf-binary",
  gltf: "model/gltf+json",
};

const DEFAULT_TYPE = "application/octet-stream";

/** A file name's extension, lower-cased; none for a name without a dot or starting with its only one. */
function extensionOf(path: string): string | null {
  const name = path.slice(path.lastIndexOf("/") + 1);
  const dot = name.lastIndexOf(".");
  return dot > 0 ? name.slice(dot + 1).toLowerCase() : null;
}

/** Content-Type for a file path, from its extension. */
export function contentTypeFor(path: string): string {
  const extension = extensionOf(path);
  return (extension !== null && TYPES[extension]) || DEFAULT_TYPE;
}

// What mime (Workers' table) types application/octet-stream itself; any other unknown extension gets none.
const OCTET_STREAM =
  "bin dms lrf mar so dist distz pkg bpk dump elc deploy exe dll deb dmg iso img msi msp msm buffer";
const OCTET_STREAM_EXTENSIONS = new Set(OCTET_STREAM.split(" "));

/**
 * The Content-Type Workers' asset server sends for a file, or null: it sends none for a type mime does
 * not know (`page`, `x.unknown`), where Pages and `contentTypeFor` say application/octet-stream.
 */
export function workersContentType(path: string, contentType: string): string | null {
  if (contentType !== DEFAULT_TYPE) return contentType;
  const extension = extensionOf(path);
  return extension !== null && OCTET_STREAM_EXTENSIONS.has(extension) ? contentType : null;
}

/** True for types worth pre-compressing and serving with Content-Encoding. */
export function isCompressible(contentType: string): boolean {
  return (
    contentType.startsWith("text/") ||
    contentType.includes("json") ||
    contentType.includes("xml") ||
    contentType.includes("javascript") ||
    contentType === "image/svg+xml" ||
    contentType === "application/wasm"
  );
}

/** Below this size a file gets no compressed variants: what they would save is not worth two more blobs. */
export const MIN_VARIANT_BYTES = 64;

/**
 * True when a deployed file gets br and gzip variants: a compressible type (by the path, as the API types
 * it in the manifest) of at least `MIN_VARIANT_BYTES`. The router serves whichever variants a manifest
 * names, and the file itself when there are none, so this alone decides what is served compressed.
 */
export function wantsVariants(path: string, size: number): boolean {
  return size >= MIN_VARIANT_BYTES && isCompressible(contentTypeFor(path));
}
