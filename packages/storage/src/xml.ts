/**
 * Just enough XML for object stores' answers (S3 and OSS): elements, text, CDATA and the predefined and
 * numeric entities. workerd has no DOMParser; these documents have no DTDs, and attributes are not needed.
 */

export interface XmlElement {
  /** Local name, without a namespace prefix. */
  name: string;
  children: XmlElement[];
  /** The element's own text, entities decoded, whitespace kept. */
  text: string;
}

export class XmlError extends Error {
  override readonly name = "XmlError";
}

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&([^;&\s]*);?/g, (match, entity: string) => {
    if (!match.endsWith(";")) throw new XmlError(`Unterminated entity "${match}".`);
    const named = ENTITIES[entity];
    if (named !== undefined) return named;
    const code = /^#x[0-9a-f]+$/i.test(entity)
      ? Number.parseInt(entity.slice(2), 16)
      : /^#[0-9]+$/.test(entity)
        ? Number.parseInt(entity.slice(1), 10)
        : Number.NaN;
    if (!Number.isInteger(code) || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      throw new XmlError(`Unknown entity "${match}".`);
    }
    return String.fromCodePoint(code);
  });
}

function skipPast(source: string, from: number, terminator: string): number {
  const at = source.indexOf(terminator, from);
  if (at === -1) throw new XmlError(`Expected "${terminator}" after position ${from}.`);
  return at + terminator.length;
}

/** The end of a start tag (the index of its `>`), stepping over quoted attribute values. */
function endOfTag(source: string, from: number): number {
  let quote = "";
  for (let i = from; i < source.length; i++) {
    const char = source[i];
    if (quote) {
      if (char === quote) quote = "";
    } else if (char === '"' || char === "'") {
      quote = char;
    } else if (char === ">") {
      return i;
    }
  }
  throw new XmlError(`Unterminated tag at position ${from}.`);
}

function localName(qualified: string): string {
  return qualified.slice(qualified.indexOf(":") + 1);
}

/** The document's root element; throws `XmlError` for anything that is not well formed enough to trust. */
export function parseXml(source: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = source.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (i < source.length) {
    const open = source.indexOf("<", i);
    const text = source.slice(i, open === -1 ? source.length : open);
    const current = stack[stack.length - 1];
    if (current) current.text += decodeEntities(text);
    else if (text.trim() !== "") throw new XmlError("Text outside the root element.");
    if (open === -1) break;
    if (source.startsWith("<?", open)) {
      i = skipPast(source, open, "?>");
    } else if (source.startsWith("<!--", open)) {
      i = skipPast(source, open, "-->");
    } else if (source.startsWith("<![CDATA[", open)) {
      const end = skipPast(source, open, "]]>");
      if (!current) throw new XmlError("CDATA outside the root element.");
      current.text += source.slice(open + 9, end - 3);
      i = end;
    } else if (source.startsWith("<!", open)) {
      i = skipPast(source, open, ">");
    } else if (source.startsWith("</", open)) {
      const end = skipPast(source, open, ">");
      const name = localName(source.slice(open + 2, end - 1).trim());
      const closed = stack.pop();
      if (closed?.name !== name) throw new XmlError(`Unexpected </${name}>.`);
      i = end;
    } else {
      const end = endOfTag(source, open + 1);
      const selfClosing = source[end - 1] === "/";
      const tag = source.slice(open + 1, selfClosing ? end - 1 : end);
      const name = localName(tag.split(/\s/, 1)[0] ?? "");
      if (!name) throw new XmlError(`Empty tag name at position ${open}.`);
      const element: XmlElement = { name, children: [], text: "" };
      if (current) current.children.push(element);
      else if (root) throw new XmlError("More than one root element.");
      else root = element;
      if (!selfClosing) stack.push(element);
      i = end + 1;
    }
  }
  if (!root || stack.length > 0) throw new XmlError("Incomplete document.");
  return root;
}

export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

/** The text of the first child called `name`, or undefined when there is none. */
export function childText(element: XmlElement, name: string): string | undefined {
  return element.children.find((child) => child.name === name)?.text;
}

/** Text escaped for an XML element or attribute value. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

const ESCAPES: Record<string, string> = {
  "<": "&lt;",
  ">": "&gt;",
  "&": "&amp;",
  '"': "&quot;",
  "'": "&apos;",
};
