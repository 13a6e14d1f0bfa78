import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, PART_OVERHEAD_BYTES, type PendingBlob, planUploads } from "../src/plan";

function blob(name: string, size: number): PendingBlob {
  return { hash: name, size, path: name, absolute: `/tmp/${name}` };
}

describe("planUploads", () => {
  it("packs small blobs in order within maxBatchFiles", () => {
    const blobs = ["a", "b", "c", "d", "e"].map((name) => blob(name, 10));
    const plan = planUploads(blobs, { maxBatchFiles: 2, maxBatchBytes: 1_000_000 });
    expect(plan.map((r) => (r.kind === "batch" ? r.blobs.map((b) => b.hash) : r.blob.hash))).toEqual([
      ["a", "b"],
      ["c", "d"],
      ["e"],
    ]);
    expect(plan.map((r) => r.bytes)).toEqual([20, 20, 10]);
  });

  it("keeps each batch's body, parts' overhead included, within maxBatchBytes", () => {
    const size = 1000;
    const maxBatchBytes = 3 * (size + PART_OVERHEAD_BYTES) + 10;
    const plan = planUploads(
      Array.from({ length: 7 }, (_, i) => blob(`b${i}`, size)),
      { maxBatchFiles: 100, maxBatchBytes },
    );
    expect(plan.map((r) => (r.kind === "batch" ? r.blobs.length : 0))).toEqual([3, 3, 1]);
  });

  it("sends large blobs alone by PUT", () => {
    const plan = planUploads(
      [blob("small", 100), blob("huge", 20 * 1024 * 1024), blob("tiny", 1)],
      DEFAULT_LIMITS,
    );
    expect(plan).toEqual([
      { kind: "single", blob: blob("huge", 20 * 1024 * 1024), bytes: 20 * 1024 * 1024 },
      { kind: "batch", blobs: [blob("small", 100), blob("tiny", 1)], bytes: 101 },
    ]);
  });

  it("sends alone anything that cannot fit a batch, even under the large-blob threshold", () => {
    const plan = planUploads([blob("a", 5000), blob("b", 100)], { maxBatchFiles: 10, maxBatchBytes: 4096 });
    expect(plan.map((r) => r.kind)).toEqual(["single", "batch"]);
  });

  it("falls back to the documented limits when the API sends none", () => {
    const blobs = Array.from({ length: 2500 }, (_, i) => blob(`h${i}`, 1));
    const plan = planUploads(blobs, undefined);
    expect(plan.map((r) => (r.kind === "batch" ? r.blobs.length : 0))).toEqual([1000, 1000, 500]);
  });

  it("respects any limits and plans every blob exactly once (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 200_000 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: 1, max: 400_000 }),
        (sizes, maxBatchFiles, maxBatchBytes) => {
          const blobs = sizes.map((size, i) => blob(`h${i}`, size));
          const plan = planUploads(blobs, { maxBatchFiles, maxBatchBytes });
          const planned = plan.flatMap((r) => (r.kind === "batch" ? r.blobs : [r.blob]));
          expect(planned.map((b) => b.hash).sort()).toEqual(blobs.map((b) => b.hash).sort());
          for (const request of plan) {
            if (request.kind === "single") continue;
            expect(request.blobs.length).toBeGreaterThan(0);
            expect(request.blobs.length).toBeLessThanOrEqual(maxBatchFiles);
            const cost = request.blobs.reduce((sum, b) => sum + b.size + PART_OVERHEAD_BYTES, 0);
            expect(cost).toBeLessThanOrEqual(maxBatchBytes);
          }
        },
      ),
    );
  });
});
