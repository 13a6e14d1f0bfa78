import { describe, expect, it } from "vitest";
import { formatBytes, formatDuration, table } from "../src/output";
import { Progress, type ProgressMode } from "../src/progress";

function capture(mode: ProgressMode, columns?: number) {
  let clock = 0;
  const writes: string[] = [];
  const stream = {
    write: (text: string) => writes.push(text),
    ...(columns === undefined ? {} : { columns }),
  };
  const progress = new Progress(stream, mode, () => clock);
  return { progress, writes, tick: (ms: number) => (clock += ms) };
}

describe("Progress", () => {
  it("draws a bar with counts, bytes and rate on a terminal, within the width", () => {
    const { progress, writes, tick } = capture("tty", 100);
    progress.start("Uploading", "Uploaded", 4, 4_000_000);
    tick(1000);
    progress.advance(2, 2_000_000);
    const last = writes.at(-1) ?? "";
    expect(last.startsWith("\r\x1b[2KUploading  [")).toBe(true);
    expect(last).toContain("2/4 files  2.0 MB/4.0 MB  2.0 MB/s");
    expect(last.length - "\r\x1b[2K".length).toBeLessThan(100);
    tick(1000);
    progress.advance(2, 2_000_000);
    progress.finish();
    expect(writes.at(-1)).toBe("\r\x1b[2KUploaded 4 files (4.0 MB) in 2.0s\n");
  });

  it("does not redraw more often than it needs to", () => {
    const { progress, writes, tick } = capture("tty");
    progress.start("Hashing", "Hashed", 1000, 1000);
    const before = writes.length;
    for (let i = 0; i < 1000; i += 1) {
      tick(1);
      progress.advance(1, 1);
    }
    expect(writes.length - before).toBeLessThanOrEqual(13);
  });

  it("prints a few plain lines off a terminal", () => {
    const { progress, writes, tick } = capture("plain");
    progress.start("Hashing", "Hashed", 3, 3000);
    for (let i = 0; i < 3; i += 1) {
      tick(100);
      progress.advance(1, 1000);
    }
    progress.finish();
    expect(writes).toEqual(["Hashing 3 files (3.0 kB)...\n", "Hashed 3 files (3.0 kB) in 300ms\n"]);
  });

  it("prints nothing when off", () => {
    const { progress, writes } = capture("off");
    progress.start("Hashing", "Hashed", 1, 1);
    progress.advance(1, 1);
    progress.finish();
    expect(writes).toEqual([]);
  });
});

describe("formatting", () => {
  it.each([
    [0, "0 B"],
    [999, "999 B"],
    [48213, "48.2 kB"],
    [123_456_789, "123 MB"],
    [2_500_000_000, "2.5 GB"],
  ])("formatBytes(%d) = %s", (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it.each([
    [12, "12ms"],
    [1234, "1.2s"],
    [75_000, "1m15s"],
  ])("formatDuration(%d) = %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("aligns table columns", () => {
    expect(
      table(
        ["A", "BB"],
        [
          ["xxx", "y"],
          ["z", "w"],
        ],
      ),
    ).toBe("A    BB\nxxx  y\nz    w");
  });
});
