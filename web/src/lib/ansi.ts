// ANSI SGR escape sequences (colors, bold, underline) to styled segments; every other escape is dropped.

/** A run of text with one style. */
export interface Segment {
  text: string;
  className: string;
  style: string;
}

interface Style {
  fg: string | null;
  bg: string | null;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
}

const plain = (): Style => ({ fg: null, bg: null, bold: false, dim: false, italic: false, underline: false });

// The 16 basic colors as classes (themed in CSS); 256-color and true-color values as inline styles.
const BASIC = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"];

function color256(n: number): string {
  if (n < 8) return `c-${BASIC[n]}`;
  if (n < 16) return `c-bright-${BASIC[n - 8]}`;
  if (n < 232) {
    const i = n - 16;
    const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
    return `rgb(${level(Math.floor(i / 36))},${level(Math.floor(i / 6) % 6)},${level(i % 6)})`;
  }
  const gray = 8 + (n - 232) * 10;
  return `rgb(${gray},${gray},${gray})`;
}

function apply(style: Style, codes: number[]): void {
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] ?? 0;
    if (code === 0) Object.assign(style, plain());
    else if (code === 1) style.bold = true;
    else if (code === 2) style.dim = true;
    else if (code === 3) style.italic = true;
    else if (code === 4) style.underline = true;
    else if (code === 22) style.bold = style.dim = false;
    else if (code === 23) style.italic = false;
    else if (code === 24) style.underline = false;
    else if (code >= 30 && code <= 37) style.fg = `c-${BASIC[code - 30]}`;
    else if (code >= 90 && code <= 97) style.fg = `c-bright-${BASIC[code - 90]}`;
    else if (code === 39) style.fg = null;
    else if (code >= 40 && code <= 47) style.bg = `c-${BASIC[code - 40]}`;
    else if (code >= 100 && code <= 107) style.bg = `c-bright-${BASIC[code - 100]}`;
    else if (code === 49) style.bg = null;
    else if (code === 38 || code === 48) {
      const mode = codes[i + 1];
      let value: string | null = null;
      if (mode === 5) {
        value = color256(codes[i + 2] ?? 0);
        i += 2;
      } else if (mode === 2) {
        value = `rgb(${codes[i + 2] ?? 0},${codes[i + 3] ?? 0},${codes[i + 4] ?? 0})`;
        i += 4;
      }
      if (code === 38) style.fg = value;
      else style.bg = value;
    }
  }
}

function render(text: string, s: Style): Segment {
  const classes: string[] = [];
  const styles: string[] = [];
  if (s.fg) {
    if (s.fg.startsWith("c-")) classes.push(`fg-${s.fg.slice(2)}`);
    else styles.push(`color:${s.fg}`);
  }
  if (s.bg) {
    if (s.bg.startsWith("c-")) classes.push(`bg-${s.bg.slice(2)}`);
    else styles.push(`background:${s.bg}`);
  }
  if (s.bold) classes.push("b");
  if (s.dim) classes.push("dim");
  if (s.italic) classes.push("i");
  if (s.underline) classes.push("u");
  return { text, className: classes.join(" "), style: styles.join(";") };
}

// CSI sequences (ESC [ … final byte) and OSC sequences (ESC ] … BEL or ESC \).
// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are what this parses
const ESCAPE = /\u001b\[([0-9;?]*)([@-~])|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[@-Z\\-_]/g;

/** Splits one log line into styled segments. A carriage return keeps only what was drawn last. */
export function parseAnsi(line: string, state: Style = plain()): Segment[] {
  const cr = line.lastIndexOf("\r", line.length - 2);
  const text = cr >= 0 ? line.slice(cr + 1) : line.replace(/\r$/, "");
  const out: Segment[] = [];
  let last = 0;
  for (const match of text.matchAll(ESCAPE)) {
    const index = match.index ?? 0;
    if (index > last) out.push(render(text.slice(last, index), state));
    if (match[2] === "m") {
      const params = (match[1] ?? "").split(";").map((p) => (p === "" ? 0 : Number(p)));
      apply(state, params);
    }
    last = index + match[0].length;
  }
  if (last < text.length) out.push(render(text.slice(last), state));
  return out;
}

/** Removes every escape sequence, for plain text. */
export function stripAnsi(line: string): string {
  return line.replace(ESCAPE, "");
}
