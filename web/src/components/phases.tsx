import type { Phase } from "../api/types.ts";
import { duration } from "../lib/format.ts";
import { useNow } from "../lib/hooks.ts";

const LABEL: Record<string, string> = {
  queued: "Queued",
  cloning: "Clone",
  installing: "Install",
  building: "Build",
  uploading: "Upload",
  ready: "Ready",
  failed: "Failed",
  canceled: "Canceled",
  superseded: "Superseded",
};

/** Each build step with how long it took; the running one counts up. */
export function Phases({ phases }: { phases: Phase[] }) {
  const now = useNow(1000);
  // Final statuses are instants, not steps.
  const steps = phases.filter((p) => !["ready", "failed", "canceled", "superseded"].includes(p.name));
  if (steps.length === 0) return null;
  return (
    <ol class="phases" aria-label="Build steps">
      {steps.map((p) => {
        const running = p.endedAt === null;
        return (
          <li key={`${p.name}-${p.startedAt}`} class={running ? "running" : "done"}>
            <span class="name">{LABEL[p.name] ?? p.name}</span>
            <span class="time">
              {duration((p.endedAt ?? now) - p.startedAt)}
              {running && <span class="sr-only"> so far</span>}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
