import { useRoute } from "preact-iso";
import { api, seg } from "../../api/client.ts";
import { type Deployment, isFinalStatus, type Project } from "../../api/types.ts";
import { DeploymentActions } from "../../components/deployment-actions.tsx";
import { deploymentDuration, sourceLabel } from "../../components/deployment-list.tsx";
import { ErrorMessage } from "../../components/error-message.tsx";
import { LogViewer } from "../../components/log-viewer.tsx";
import { Phases } from "../../components/phases.tsx";
import { ProjectFrame, useProject } from "../../components/project-frame.tsx";
import { Loading, StatusBadge } from "../../components/ui.tsx";
import { bytes, hostOf, when } from "../../lib/format.ts";
import { useInterval, useNow, useResource } from "../../lib/hooks.ts";

// Uploads from the CLI have no build and so no log; builds have phases from the moment they are queued.
function isBuild(d: Deployment): boolean {
  return (
    d.phases.length > 0 ||
    d.startedAt !== null ||
    ["queued", "cloning", "installing", "building"].includes(d.status)
  );
}

function Detail({ project, id, reloadProject }: { project: Project; id: string; reloadProject: () => void }) {
  const now = useNow(1000);
  const res = useResource(
    () => api.get<{ deployment: Deployment }>(`/deployments/${seg(id)}`).then((r) => r.deployment),
    id,
  );
  const d = res.data;
  const final = d ? isFinalStatus(d.status) : false;
  // The log stream says when the build ends; polling keeps the status and phases current meanwhile.
  useInterval(() => void res.reload(), 2000, d !== undefined && !final);
  if (!d) {
    return res.error ? (
      <ErrorMessage error={res.error} prefix="Could not load the deployment" />
    ) : (
      <Loading what="the deployment" />
    );
  }
  const took = deploymentDuration(d, now);
  return (
    <>
      <section class="card" aria-labelledby="dep-title">
        <div class="row">
          <h2 id="dep-title" class="grow">
            Deployment <code>{d.shortId}</code>
          </h2>
          <StatusBadge status={d.status} />
        </div>
        <dl class="facts">
          <dt>Environment</dt>
          <dd>
            {d.isProduction
              ? "Production (current)"
              : d.environment === "production"
                ? "Production"
                : "Preview"}
          </dd>
          <dt>Branch</dt>
          <dd>{d.branch}</dd>
          {d.commitSha && (
            <>
              <dt>Commit</dt>
              <dd>
                <code>{d.commitSha.slice(0, 12)}</code> {d.commitMessage}
              </dd>
            </>
          )}
          <dt>Started by</dt>
          <dd>{sourceLabel(d.source)}</dd>
          <dt>Created</dt>
          <dd>{when(d.createdAt)}</dd>
          {took && (
            <>
              <dt>Duration</dt>
              <dd>{took}</dd>
            </>
          )}
          {d.framework && (
            <>
              <dt>Framework</dt>
              <dd>{d.framework}</dd>
            </>
          )}
          {d.skipCache && (
            <>
              <dt>Build cache</dt>
              <dd>Not used: built without cache</dd>
            </>
          )}
          {d.status === "ready" && (
            <>
              <dt>Files</dt>
              <dd>
                {d.fileCount === 1 ? "1 file" : `${d.fileCount} files`}, {bytes(d.totalBytes)}
              </dd>
              <dt>URL</dt>
              <dd>
                <a class="url" href={d.url} target="_blank" rel="noreferrer" data-testid="deployment-url">
                  {hostOf(d.url)}
                </a>
                {d.aliases.map((a) => (
                  <span key={a}>
                    {" "}
                    ·{" "}
                    <a class="url" href={a} target="_blank" rel="noreferrer">
                      {hostOf(a)}
                    </a>
                  </span>
                ))}
              </dd>
            </>
          )}
        </dl>
        {d.errorMessage && (
          <p class="error" role="alert">
            {d.errorMessage}
          </p>
        )}
        {d.rulesReport.length > 0 && (
          <details>
            <summary>{d.rulesReport.length} lines of _redirects or _headers were not used</summary>
            <ul>
              {d.rulesReport.map((r) => (
                <li key={`${r.file}:${r.line}`}>
                  <code>
                    {r.file}:{r.line}
                  </code>{" "}
                  {r.message}
                </li>
              ))}
            </ul>
          </details>
        )}
        <Phases phases={d.phases} />
        <DeploymentActions
          project={project}
          deployment={d}
          onChanged={() => {
            void res.reload();
            reloadProject();
          }}
        />
      </section>
      {isBuild(d) ? (
        <LogViewer deploymentId={d.id} final={final} onEnd={() => void res.reload()} />
      ) : (
        <p class="muted">This deployment was uploaded, not built, so it has no build log.</p>
      )}
    </>
  );
}

/** One deployment: its facts, URL, build steps, actions and live build log. */
export function DeploymentPage() {
  const { params } = useRoute();
  const project = useProject(params.name ?? "");
  return (
    <ProjectFrame project={project} tab="deployments" title="Deployment">
      {(p) => <Detail project={p} id={params.id ?? ""} reloadProject={() => void project.reload()} />}
    </ProjectFrame>
  );
}
