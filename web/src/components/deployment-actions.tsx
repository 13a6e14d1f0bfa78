import { useLocation } from "preact-iso";
import { api, seg } from "../api/client.ts";
import { type Deployment, isFinalStatus, type Project } from "../api/types.ts";
import { useAction } from "../lib/hooks.ts";
import { ErrorMessage } from "./error-message.tsx";
import { BusyButton } from "./ui.tsx";

/**
 * What can be done to one deployment: promote it (or roll back to it, if it is older than production), roll
 * production back (on the production deployment), cancel a build, redeploy its branch.
 */
export function DeploymentActions({
  project,
  deployment: d,
  production,
  onChanged,
}: {
  project: Project;
  deployment: Deployment;
  /** The current production deployment, when known, to tell "promote" from "roll back to". */
  production?: Deployment | null;
  onChanged: () => void;
}) {
  const { route } = useLocation();
  const p = seg(project.name);
  const promote = useAction(async () => {
    const older = production && production.id !== d.id && d.createdAt < production.createdAt;
    if (older) await api.post(`/projects/${p}/rollback`, { deploymentId: d.id });
    else await api.post(`/deployments/${seg(d.id)}/promote`);
    onChanged();
  });
  const rollback = useAction(async () => {
    await api.post(`/projects/${p}/rollback`);
    onChanged();
  });
  const cancel = useAction(async () => {
    if (!window.confirm(`Cancel the build of ${d.branch}?`)) return;
    await api.post(`/deployments/${seg(d.id)}/cancel`);
    onChanged();
  });
  const redeploy = useAction(async () => {
    const { deployment } = await api.post<{ deployment: Deployment }>(`/projects/${p}/builds`, {
      branch: d.branch,
    });
    route(`/projects/${p}/deployments/${seg(deployment.id)}`);
  });

  const final = isFinalStatus(d.status);
  const older = production && production.id !== d.id && d.createdAt < production.createdAt;
  const error = promote.error ?? rollback.error ?? cancel.error ?? redeploy.error;
  return (
    <div class="actions">
      {d.status === "ready" && !d.isProduction && (
        <BusyButton
          class="small"
          busy={promote.busy}
          busyLabel={older ? "Rolling back…" : "Promoting…"}
          onClick={() => void promote.run()}
        >
          {older ? "Roll back to this" : "Promote to production"}
        </BusyButton>
      )}
      {d.isProduction && (
        <BusyButton
          class="small"
          busy={rollback.busy}
          busyLabel="Rolling back…"
          onClick={() => void rollback.run()}
        >
          Roll back
        </BusyButton>
      )}
      {!final && d.status !== "uploading" && (
        <BusyButton
          class="small danger"
          busy={cancel.busy}
          busyLabel="Canceling…"
          onClick={() => void cancel.run()}
        >
          Cancel build
        </BusyButton>
      )}
      {final && project.gitUrl && (
        <BusyButton
          class="small"
          busy={redeploy.busy}
          busyLabel="Starting…"
          title={`Builds the latest commit of ${d.branch}`}
          onClick={() => void redeploy.run()}
        >
          Redeploy
        </BusyButton>
      )}
      <ErrorMessage error={error} />
    </div>
  );
}
