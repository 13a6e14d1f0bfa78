import { useState } from "preact/hooks";
import { api, seg } from "../api/client.ts";
import type { ClearedCache, Project } from "../api/types.ts";
import { ago, bytes, when } from "../lib/format.ts";
import { useAction } from "../lib/hooks.ts";
import { ErrorMessage } from "./error-message.tsx";
import { BusyButton } from "./ui.tsx";

/** Clears the project's build cache after a confirmation, and says what was deleted. */
export function ClearBuildCache({
  project,
  onCleared,
}: {
  project: Project;
  onCleared: (p: Project) => void;
}) {
  const [done, setDone] = useState("");
  const clear = useAction(async () => {
    setDone("");
    const question = `Clear the build cache of ${project.name}? The next build of each branch installs everything again.`;
    if (!window.confirm(question)) return;
    const { clearedAt, archives } = await api.del<ClearedCache>(`/projects/${seg(project.name)}/cache`);
    const deleted =
      archives.deleted === 0
        ? "no stored archive to delete"
        : `deleted ${archives.deleted === 1 ? "1 archive" : `${archives.deleted} archives`} (${bytes(archives.bytes)})`;
    setDone(`Build cache cleared: ${deleted}. The next build of each branch starts from a clean install.`);
    onCleared({ ...project, cacheClearedAt: clearedAt });
  });
  return (
    <section class="card stack" aria-labelledby="cache-title">
      <h2 id="cache-title">Build cache</h2>
      <p>
        Each branch's builds keep their installed dependencies, the package manager's cache and the
        framework's cache, and the next build starts from them. Clear the cache when a build behaves
        differently from a clean install. To rebuild once without it, use <em>Deploy without cache</em> on the
        Deployments page.
      </p>
      {project.cacheClearedAt && (
        <p class="muted">
          Last cleared <time title={when(project.cacheClearedAt)}>{ago(project.cacheClearedAt)}</time>.
        </p>
      )}
      <ErrorMessage error={clear.error} prefix="Could not clear the build cache" />
      {done && (
        <p role="status" class="ok-line">
          {done}
        </p>
      )}
      <div class="actions">
        <BusyButton busy={clear.busy} busyLabel="Clearing…" onClick={() => void clear.run()}>
          Clear build cache
        </BusyButton>
      </div>
    </section>
  );
}
