// Small shared pieces: status badge, busy button, copy button, page title.
import type { ComponentChildren, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { DeploymentStatus } from "../api/types.ts";

const STATUS_LABEL: Record<DeploymentStatus, string> = {
  uploading: "Uploading",
  queued: "Queued",
  cloning: "Cloning",
  installing: "Installing",
  building: "Building",
  ready: "Ready",
  failed: "Failed",
  canceled: "Canceled",
  superseded: "Superseded",
  deleted: "Deleted",
};

const STATUS_TONE: Record<DeploymentStatus, string> = {
  uploading: "busy",
  queued: "wait",
  cloning: "busy",
  installing: "busy",
  building: "busy",
  ready: "ok",
  failed: "bad",
  canceled: "off",
  superseded: "off",
  deleted: "off",
};

/** A deployment's status as a colored label (the word carries the meaning, not the color). */
export function StatusBadge({ status }: { status: DeploymentStatus }) {
  return (
    <span class={`badge ${STATUS_TONE[status]}`} data-status={status}>
      {STATUS_LABEL[status]}
    </span>
  );
}

type ButtonProps = JSX.HTMLAttributes<HTMLButtonElement> & {
  busy: boolean;
  busyLabel: string;
  children: ComponentChildren;
  type?: "button" | "submit";
  disabled?: boolean;
};

/** A button that says what it is doing while its action runs. */
export function BusyButton({ busy, busyLabel, children, type = "button", disabled, ...rest }: ButtonProps) {
  return (
    <button {...rest} type={type} disabled={busy || disabled} aria-busy={busy}>
      {busy ? busyLabel : children}
    </button>
  );
}

/** Copies `text` to the clipboard and says so. */
export function CopyButton({ text, label = "Copy", what }: { text: string; label?: string; what?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(timer);
  }, [state]);
  const copy = () => {
    navigator.clipboard.writeText(text).then(
      () => setState("copied"),
      () => setState("failed"),
    );
  };
  return (
    <button
      type="button"
      class="small"
      onClick={copy}
      aria-live="polite"
      aria-label={
        what
          ? `${state === "copied" ? "Copied" : state === "failed" ? "Copy failed:" : label} ${what}`
          : undefined
      }
    >
      {state === "copied" ? "Copied" : state === "failed" ? "Copy failed: select and copy" : label}
    </button>
  );
}

/** Sets the document title, so tabs and screen readers say which page this is. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = `${title} · Miaobu`;
  }, [title]);
}

/** A status line for screen readers and eyes while something loads. */
export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}
