import { z } from "zod";

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A git branch name as the API accepts it. */
export const branchName = z
  .string()
  .trim()
  .min(1)
  .max(255)
  .refine((s) => !CONTROL.test(s), "the branch name contains a control character");
