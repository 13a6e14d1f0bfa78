import { formatBytes, formatDuration, plural } from "./output";

/** `tty`: a bar redrawn in place; `plain`: a few lines, for logs; `off`: nothing (`--json`). */
export type ProgressMode = "tty" | "plain" | "off";

export interface ProgressStream {
  write(text: string): unknown;
  columns?: number;
}

const REDRAW_MS = 80;
const PLAIN_EVERY_MS = 5000;

/** Progress of one phase at a time (hashing, uploading) in files and bytes, with the rate. */
export class Progress {
  private readonly stream: ProgressStream;
  private readonly mode: ProgressMode;
  private readonly now: () => number;
  private phase: { active: string; done: string; files: number; bytes: number; started: number } | undefined;
  private doneFiles = 0;
  private doneBytes = 0;
  private lastDraw = 0;

  constructor(stream: ProgressStream, mode: ProgressMode, now: () => number = Date.now) {
    this.stream = stream;
    this.mode = mode;
    this.now = now;
  }

  /** Begins a phase, e.g. `start("Uploading", "Uploaded", 3, 10240)`. */
  start(active: string, done: string, files: number, bytes: number): void {
    this.phase = { active, done, files, bytes, started: this.now() };
    this.doneFiles = 0;
    this.doneBytes = 0;
    this.lastDraw = this.phase.started;
    if (this.mode === "plain")
      this.stream.write(`${active} ${plural(files, "file")} (${formatBytes(bytes)})...\n`);
    if (this.mode === "tty") this.draw();
  }

  /** Records files and bytes finished since the last call. */
  advance(files: number, bytes: number): void {
    if (!this.phase) return;
    this.doneFiles += files;
    this.doneBytes += bytes;
    const now = this.now();
    if (this.mode === "tty" && now - this.lastDraw >= REDRAW_MS) {
      this.lastDraw = now;
      this.draw();
    } else if (this.mode === "plain" && now - this.lastDraw >= PLAIN_EVERY_MS) {
      this.lastDraw = now;
      this.stream.write(`  ${this.counts()}\n`);
    }
  }

  /** Ends the phase with a summary line. */
  finish(): void {
    const phase = this.phase;
    if (!phase) return;
    this.phase = undefined;
    if (this.mode === "off") return;
    const elapsed = this.now() - phase.started;
    const line = `${phase.done} ${plural(this.doneFiles, "file")} (${formatBytes(this.doneBytes)}) in ${formatDuration(elapsed)}`;
    this.stream.write(this.mode === "tty" ? `\r\x1b[2K${line}\n` : `${line}\n`);
  }

  /** Clears the bar so an error line starts on a clean line. */
  abort(): void {
    if (this.phase && this.mode === "tty") this.stream.write("\r\x1b[2K");
    this.phase = undefined;
  }

  private counts(): string {
    const phase = this.phase;
    if (!phase) return "";
    const seconds = Math.max(0.001, (this.now() - phase.started) / 1000);
    const rate = `${formatBytes(this.doneBytes / seconds)}/s`;
    return `${this.doneFiles}/${phase.files} files  ${formatBytes(this.doneBytes)}/${formatBytes(phase.bytes)}  ${rate}`;
  }

  private draw(): void {
    const phase = this.phase;
    if (!phase) return;
    const text = `${phase.active.padEnd(10)} `;
    const counts = this.counts();
    // A pseudo-terminal without a size reports 0 columns.
    const columns = this.stream.columns || 80;
    const width = Math.max(10, Math.min(30, columns - text.length - counts.length - 4));
    const ratio =
      phase.bytes > 0 ? this.doneBytes / phase.bytes : phase.files > 0 ? this.doneFiles / phase.files : 1;
    const filled = Math.round(Math.min(1, ratio) * width);
    const bar = `[${"█".repeat(filled)}${"░".repeat(width - filled)}]`;
    // Stay within one row: a wrapped line cannot be redrawn in place.
    this.stream.write(`\r\x1b[2K${`${text}${bar} ${counts}`.slice(0, columns - 1)}`);
  }
}
