/**
 * Just enough XML for OSS's answers (ListBucketResult, DeleteResult, Error) inside workerd, which has no
 * DOMParser: elements, text with its entities decoded, CDATA; declarations, comments and attributes are
 * skipped. A DOCTYPE is refused rather than half-understood.
 */
export interface XmlElement {
  name: string;
  children: XmlElement[];
  text: string;
}

export class XmlError extends Error {
  override readonly name = "XmlError";
}

const NAMED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-zA-Z]+);/g, (entity, body: string) => {
    if (body.startsWith("#")) {
      const code = body[1] === "x" ? Number.parseInt(body.slice(2), 16) : Number.parseInt(body.slice(1), 10);
      if (!Number.isFinite(code) || code > 0x10ffff) throw new XmlError(`bad character reference ${entity}`);
      return String.fromCodePoint(code);
    }
    const named = NAMED[body];
    if (named === undefined) throw new XmlError(`unknown entity ${entity}`);
    return named;
  });
}

/** Parses a document into its root element; throws `XmlError` on anything malformed. */
export function parseXml(source: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let at = 0;
  const skipPast = (end: string) => {
    const found = source.indexOf(end, at);
    if (found < 0) throw new XmlError(`unterminated markup, expected ${end}`);
    at = found + end.length;
  };
  while (at < source.length) {
    const open = source.indexOf("<", at);
    const text = source.slice(at, open < 0 ? source.length : open);
    const current = stack[stack.length - 1];
    if (current) current.text += decodeEntities(text);
    else if (text.trim() !== "") throw new XmlError("text outside the root element");
    if (open < 0) break;
    at = open;
    if (source.startsWith("<?", at)) skipPast("?>");
    else if (source.startsWith("<!--", at)) skipPast("-->");
    else if (source.startsWith("<![CDATA[", at)) {
      const end = source.indexOf("]]>", at);
      if (end < 0 || !current) throw new XmlError("CDATA outside an element or unterminated");
      current.text += source.slice(at + 9, end);
      at = end + 3;
    } else if (source.startsWith("<!", at)) throw new XmlError("DTDs are not accepted");
    else if (source.startsWith("</", at)) {
      const end = source.indexOf(">", at);
      const name = source.slice(at + 2, end < 0 ? undefined : end).trim();
      if (end < 0 || !current || current.name !== name) throw new XmlError(`unexpected </${name}>`);
      stack.pop();
      at = end + 1;
    } else {
      const end = source.indexOf(">", at);
      if (end < 0) throw new XmlError("unterminated tag");
      const tag = source.slice(at + 1, end);
      const selfClosing = tag.endsWith("/");
      const name = /^[^\s/>]+/.exec(tag)?.[0];
      if (!name) throw new XmlError("empty tag name");
      if (!current && root) throw new XmlError("more than one root element");
      const element: XmlElement = { name, children: [], text: "" };
      if (current) current.children.push(element);
      else root = element;
      if (!selfClosing) stack.push(element);
      at = end + 1;
    }
  }
  if (!root || stack.length > 0) throw new XmlError("incomplete document");
  return root;
}

/** The direct children called `name`. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

/** Text of the first direct child called `name`, or undefined when there is none. */
export function childText(element: XmlElement, name: string): string | undefined {
  return element.children.find((child) => child.name === name)?.text;
}

/** Text safe inside an element or an attribute. */
export function escapeXml(text: string): string {
  return text.replace(
    /[<>&"']/g,
    (c) => ({ "<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&apos;" })[c] ?? c,
  );
}
