import { describe, expect, it } from "vitest";
import { parseAnsi, stripAnsi } from "../src/lib/ansi.ts";

const ESC = "\u001b";

describe("parseAnsi", () => {
  it.each([
    ["plain text", "hello", [{ text: "hello", className: "", style: "" }]],
    [
      "a basic color, then a reset",
      `${ESC}[32mok${ESC}[0m done`,
      [
        { text: "ok", className: "fg-green", style: "" },
        { text: " done", className: "", style: "" },
      ],
    ],
    ["bold bright red", `${ESC}[1;91mfail`, [{ text: "fail", className: "fg-bright-red b", style: "" }]],
    ["256 colors", `${ESC}[38;5;196mx`, [{ text: "x", className: "", style: "color:rgb(255,0,0)" }]],
    [
      "true color background",
      `${ESC}[48;2;1;2;3mx`,
      [{ text: "x", className: "", style: "background:rgb(1,2,3)" }],
    ],
    [
      "cursor moves are dropped",
      `a${ESC}[2Kb${ESC}[1Gc`,
      [
        { text: "a", className: "", style: "" },
        { text: "b", className: "", style: "" },
        { text: "c", className: "", style: "" },
      ],
    ],
    [
      "a carriage return keeps the last drawing",
      "10%\r50%\r100%",
      [{ text: "100%", className: "", style: "" }],
    ],
  ])("%s", (_name, input, expected) => {
    expect(parseAnsi(input)).toEqual(expected);
  });

  it("strips every escape for plain text", () => {
    expect(
      stripAnsi(`${ESC}[1m${ESC}[32mready${ESC}[0m ${ESC}]8;;http://x${ESC}\\link${ESC}]8;;${ESC}\\`),
    ).toBe("ready link");
  });
});
