import { describe, expect, it } from "vitest";
import { childrenNamed, childText, escapeXml, parseXml, XmlError } from "../src/xml.ts";

describe("parseXml", () => {
  it("reads S3's answers: prolog, namespaces, nested elements, text kept as is", () => {
    const root = parseXml(
      '\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n<!-- a comment -->\n' +
        '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name>' +
        "<Contents><Key> two  spaces </Key><Size>5</Size></Contents><Contents><Key>b</Key><Empty/></Contents>" +
        "</ListBucketResult>",
    );
    expect(root.name).toBe("ListBucketResult");
    expect(childrenNamed(root, "Contents").map((c) => childText(c, "Key"))).toEqual([" two  spaces ", "b"]);
    expect(childText(childrenNamed(root, "Contents")[1] ?? root, "Empty")).toBe("");
    expect(childText(root, "Missing")).toBeUndefined();
  });

  it.each([
    ["&lt;&gt;&amp;&quot;&apos;", "<>&\"'"],
    ["&amp;amp;", "&amp;"],
    ["&#39;&#x27;&#X1F600;", "''😀"],
    ["<![CDATA[<raw> & ]]>tail", "<raw> & tail"],
    ["a > b", "a > b"],
    ["çødé~(1)!*", "çødé~(1)!*"],
  ])("decodes %s", (text, decoded) => {
    expect(parseXml(`<Key>${text}</Key>`).text).toBe(decoded);
  });

  it("takes prefixed names by their local name and quoted > in attributes", () => {
    const root = parseXml("<s3:Error a=\"x>y\" b='1'><s3:Code>NoSuchKey</s3:Code></s3:Error>");
    expect([root.name, childText(root, "Code")]).toEqual(["Error", "NoSuchKey"]);
  });

  it.each([
    ["", "no root"],
    ["<a><b></a></b>", "crossed tags"],
    ["<a>", "unclosed"],
    ["<a>&nbsp;</a>", "an entity XML does not define"],
    ["<a>&amp</a>", "an unterminated entity"],
    ["<a></a><b></b>", "two roots"],
    ["text<a></a>", "text outside the root"],
    ["<a>&#xD800;</a>", "a surrogate"],
  ])("refuses %j (%s)", (source) => {
    expect(() => parseXml(source)).toThrow(XmlError);
  });

  it("escapes what it decodes", () => {
    const text = `a&b<c>"d'e`;
    expect(parseXml(`<k>${escapeXml(text)}</k>`).text).toBe(text);
  });
});
