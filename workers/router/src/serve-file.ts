import { workersContentType } from "@miaobu/shared";
import { type BlobSources, readBlob, readBlobRange } from "./blobs.ts";
import {
  chooseRepresentation,
  etagOf,
  ifNoneMatchMatches,
  ifRangeAllows,
  parseRange,
  type Representation,
} from "./http.ts";
import type { Asset } from "./resolve-asset.ts";
import { browserCacheControl } from "./responses.ts";

/** One file to answer with: 200 for the file itself or a single-page app's index, 404 for a 404 page. */
export interface FileRequest {
  request: Request;
  projectId: string;
  asset: Asset;
  status: 200 | 404;
  /** Pages' shapes (a 404 page without ETag or Cache-Control, a bare 304), else Workers'. */
  pages: boolean;
}

function missing(projectId: string, asset: Asset, hash: string): Error {
  return new Error(`blob ${hash} of ${projectId} (${asset.path}) is not in storage`);
}

/** What Pages' serveAsset and its 404 page, or Workers' getAssetHeaders, send with a file. */
function fileHeaders(file: FileRequest, representation: Representation): Headers {
  const { request, asset, status, pages } = file;
  const headers = new Headers();
  const contentType = pages
    ? asset.entry.contentType
    : workersContentType(asset.path, asset.entry.contentType);
  if (contentType !== null) headers.set("content-type", contentType);
  if (status === 200 || !pages) {
    headers.set("etag", etagOf(representation.hash));
    const cacheControl = browserCacheControl(request);
    if (cacheControl !== null) headers.set("cache-control", cacheControl);
  }
  if (representation.encoding) headers.set("content-encoding", representation.encoding);
  if (asset.entry.variants?.br || asset.entry.variants?.gzip) headers.set("vary", "Accept-Encoding");
  return headers;
}

/**
 * Answers with a file of the deployment: `If-None-Match` → 304, one `Range` → 206 or 416, otherwise the
 * best pre-compressed variant the client accepts. HEAD reads no body.
 */
export async function serveFile(sources: BlobSources, file: FileRequest): Promise<Response> {
  const { request, projectId, asset, status } = file;
  const head = request.method === "HEAD";
  const rangeHeader = status === 200 ? request.headers.get("range") : null;
  const range =
    rangeHeader !== null && ifRangeAllows(request.headers.get("if-range"), asset.entry)
      ? parseRange(rangeHeader, asset.entry.size)
      : ({ kind: "ignore" } as const);
  // A byte range always addresses the identity bytes, so it is never served compressed.
  const representation =
    range.kind === "ignore"
      ? chooseRepresentation(asset.entry, request.headers.get("accept-encoding"))
      : { hash: asset.entry.hash, size: asset.entry.size, encoding: null };

  if (status === 200 && ifNoneMatchMatches(request.headers.get("if-none-match"), asset.entry)) {
    // Pages' 304 carries none of the file's headers; Workers' keeps them (not the encoding: no body).
    const headers = file.pages ? new Headers() : fileHeaders(file, representation);
    headers.delete("content-encoding");
    return new Response(null, { status: 304, headers });
  }
  const headers = fileHeaders(file, representation);
  if (status === 200 && representation.encoding === null) headers.set("accept-ranges", "bytes");
  if (range.kind === "unsatisfiable") {
    headers.set("content-range", `bytes */${asset.entry.size}`);
    headers.set("content-type", "text/plain; charset=utf-8");
    return new Response(head ? null : "416 Range Not Satisfiable", { status: 416, headers });
  }
  if (range.kind === "range") {
    const length = range.end - range.start + 1;
    headers.set("content-range", `bytes ${range.start}-${range.end}/${asset.entry.size}`);
    headers.set("content-length", String(length));
    if (head) return new Response(null, { status: 206, headers });
    const body = await readBlobRange(sources, projectId, asset.entry.hash, range.start, length);
    if (body === null) throw missing(projectId, asset, asset.entry.hash);
    return new Response(body, { status: 206, headers });
  }
  headers.set("content-length", String(representation.size));
  if (head) return new Response(null, { status, headers });
  const body = await readBlob(sources, projectId, representation.hash, representation.size);
  if (body === null) throw missing(projectId, asset, representation.hash);
  return new Response(body, { status, headers });
}
