import { useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { api, seg } from "../../api/client.ts";
import type { Project } from "../../api/types.ts";
import { ErrorMessage } from "../../components/error-message.tsx";
import { ProjectFrame, useProject } from "../../components/project-frame.tsx";
import { BusyButton, CopyButton } from "../../components/ui.tsx";
import { useAction } from "../../lib/hooks.ts";

function DeployHook({ project, onChanged }: { project: Project; onChanged: () => void }) {
  const [url, setUrl] = useState<string | null>(null);
  const path = `/projects/${seg(project.name)}/deploy-hook`;
  const create = useAction(async () => {
    if (
      project.hasDeployHook &&
      !window.confirm("Rotate the deploy hook? The current URL stops working at once.")
    ) {
      return;
    }
    const { hook } = await api.post<{ hook: { secret: string; url: string } }>(path);
    setUrl(hook.url);
    onChanged();
  });
  const remove = useAction(async () => {
    if (!window.confirm("Remove the deploy hook? Its URL stops working at once.")) return;
    await api.del(path);
    setUrl(null);
    onChanged();
  });

  if (!project.gitUrl) {
    return (
      <p class="muted">
        Deploy hooks build from git; this project has no repository. Set one in{" "}
        <a href={`/projects/${seg(project.name)}/settings`}>Settings</a>.
      </p>
    );
  }
  return (
    <section class="card stack" aria-labelledby="hook-title">
      <h2 id="hook-title">Deploy hook</h2>
      <p>
        A secret URL that builds <strong>{project.productionBranch}</strong> when anything POSTs to it: a CI
        job, a CMS, a cron. Add <code>?branch=name</code> to build another branch, <code>?cache=false</code>{" "}
        to build without the build cache.
      </p>
      {url ? (
        <div class="secret-once" role="status">
          <p>
            <strong>Copy this URL now.</strong> It is shown only once; Miaobu keeps only a hash of it.
          </p>
          <div class="row">
            <code class="grow break" data-testid="hook-url">
              {url}
            </code>
            <CopyButton text={url} />
          </div>
          <pre>
            <code>curl -X POST {url}</code>
          </pre>
        </div>
      ) : (
        <p class="muted">
          {project.hasDeployHook
            ? "A deploy hook is set. Its URL was shown when it was made."
            : "No deploy hook yet."}
        </p>
      )}
      <div class="actions">
        <BusyButton
          class="primary"
          busy={create.busy}
          busyLabel={project.hasDeployHook ? "Rotating…" : "Creating…"}
          onClick={() => void create.run()}
        >
          {project.hasDeployHook ? "Rotate the URL" : "Create a deploy hook"}
        </BusyButton>
        {project.hasDeployHook && (
          <BusyButton
            class="danger"
            busy={remove.busy}
            busyLabel="Removing…"
            onClick={() => void remove.run()}
          >
            Remove
          </BusyButton>
        )}
      </div>
      <ErrorMessage error={create.error ?? remove.error} />
    </section>
  );
}

/** The project's deploy hook: create, copy (once), rotate, remove. */
export function HooksPage() {
  const { params } = useRoute();
  const project = useProject(params.name ?? "");
  return (
    <ProjectFrame project={project} tab="hooks" title="Deploy hooks">
      {(p) => <DeployHook project={p} onChanged={() => void project.reload()} />}
    </ProjectFrame>
  );
}
