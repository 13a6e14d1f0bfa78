import { useState } from "preact/hooks";
import { useLocation, useRoute } from "preact-iso";
import { api, seg } from "../../api/client.ts";
import { type Deployment, type DeploymentPage, isFinalStatus, type Project } from "../../api/types.ts";
import { DeploymentList } from "../../components/deployment-list.tsx";
import { ErrorMessage } from "../../components/error-message.tsx";
import { ProjectFrame, useProject } from "../../components/project-frame.tsx";
import { BusyButton, Loading } from "../../components/ui.tsx";
import { hostOf } from "../../lib/format.ts";
import { useAction, useInterval, useNow, useResource } from "../../lib/hooks.ts";

function Deployments({ project, reloadProject }: { project: Project; reloadProject: () => void }) {
  const { route } = useLocation();
  const now = useNow(5000);
  const [count, setCount] = useState(20);
  const base = `/projects/${seg(project.name)}`;
  // Polling reloads everything shown so far (up to the API's 100), so "load more" pages stay fresh too.
  const list = useResource(
    () => api.get<DeploymentPage>(`${base}/deployments?limit=${Math.min(100, Math.max(20, count))}`),
    project.id,
  );
  const more = useAction(async () => {
    if (!list.data?.nextCursor) return;
    const next = await api.get<DeploymentPage>(
      `${base}/deployments?limit=20&cursor=${seg(list.data.nextCursor)}`,
    );
    list.setData({
      deployments: list.data.deployments.concat(next.deployments),
      nextCursor: next.nextCursor,
    });
  });
  const deployments = list.data?.deployments ?? [];
  const busy = deployments.some((d) => !isFinalStatus(d.status));
  useInterval(() => void list.reload(), busy ? 2000 : 10_000);
  const production = deployments.find((d) => d.isProduction) ?? null;
  const changed = () => {
    void list.reload();
    reloadProject();
  };
  const build = async (body: { cache?: false }) => {
    const { deployment } = await api.post<{ deployment: Deployment }>(`${base}/builds`, body);
    route(`${base}/deployments/${seg(deployment.id)}`);
  };
  const deploy = useAction(() => build({}));
  // Restores nothing from the build cache: a clean install, whose cache then replaces the old one.
  const fresh = useAction(() => build({ cache: false }));

  return (
    <>
      <section class="card production" aria-labelledby="prod-title">
        <h2 id="prod-title">Production</h2>
        {production ? (
          <p>
            <a class="url big" href={project.productionUrl} target="_blank" rel="noreferrer">
              {hostOf(project.productionUrl)}
            </a>{" "}
            serves <a href={`${base}/deployments/${seg(production.id)}`}>{production.shortId}</a> from{" "}
            {production.branch}
            {production.commitSha && <code> {production.commitSha.slice(0, 7)}</code>}
          </p>
        ) : (
          <p class="muted">
            Nothing is in production yet.{" "}
            {project.gitUrl
              ? `A build of ${project.productionBranch} goes to production when it is ready.`
              : `Deploy a folder with the CLI: npx miaobu deploy ./dist --project ${project.name}`}
          </p>
        )}
        {project.gitUrl && (
          <div class="actions">
            <BusyButton
              class="primary"
              busy={deploy.busy}
              busyLabel="Starting…"
              disabled={fresh.busy}
              onClick={() => void deploy.run()}
            >
              Deploy {project.productionBranch}
            </BusyButton>
            <BusyButton
              busy={fresh.busy}
              busyLabel="Starting…"
              disabled={deploy.busy}
              title="Installs everything from scratch: nothing is restored from the build cache"
              onClick={() => void fresh.run()}
            >
              Deploy without cache
            </BusyButton>
          </div>
        )}
        <ErrorMessage error={deploy.error ?? fresh.error} />
      </section>
      <h2>Deployments</h2>
      <ErrorMessage error={list.error} prefix="Could not load the deployments" />
      {!list.data && !list.error && <Loading what="deployments" />}
      {list.data && deployments.length === 0 && <p class="muted">No deployments yet.</p>}
      <DeploymentList
        project={project}
        deployments={deployments}
        production={production}
        now={now}
        onChanged={changed}
      />
      {list.data?.nextCursor && (
        <BusyButton
          busy={more.busy}
          busyLabel="Loading…"
          onClick={() => {
            void more.run().then((ok) => ok && setCount(deployments.length + 20));
          }}
        >
          Load more
        </BusyButton>
      )}
      <ErrorMessage error={more.error} />
    </>
  );
}

/** A project: its production deployment and URL, and its deployments, updated while builds run. */
export function ProjectPage() {
  const { params } = useRoute();
  const project = useProject(params.name ?? "");
  return (
    <ProjectFrame project={project} tab="deployments" title="Deployments">
      {(p) => <Deployments project={p} reloadProject={() => void project.reload()} />}
    </ProjectFrame>
  );
}
