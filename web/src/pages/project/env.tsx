import { useState } from "preact/hooks";
import { useRoute } from "preact-iso";
import { api, seg } from "../../api/client.ts";
import type { Environment, EnvVar, Project } from "../../api/types.ts";
import { ErrorMessage } from "../../components/error-message.tsx";
import { ProjectFrame, useProject } from "../../components/project-frame.tsx";
import { BusyButton, Loading } from "../../components/ui.tsx";
import { ago, when } from "../../lib/format.ts";
import { useAction, useResource } from "../../lib/hooks.ts";

const ENVIRONMENTS: { env: Environment; label: string; about: string }[] = [
  { env: "production", label: "Production", about: "Builds of the production branch." },
  { env: "preview", label: "Preview", about: "Builds of every other branch." },
];

function VariableRow({ v, path, onChanged }: { v: EnvVar; path: string; onChanged: () => void }) {
  const remove = useAction(async () => {
    if (!window.confirm(`Remove ${v.key} from ${v.environment}?`)) return;
    await api.del(`${path}/${v.environment}/${seg(v.key)}`);
    onChanged();
  });
  return (
    <li class="card row env-var" data-key={v.key}>
      <code class="key">{v.key}</code>
      <span class="grow value">
        {v.secret ? (
          <span class="muted" title="Secret values are write-only: set a new value to change it.">
            •••••• secret
          </span>
        ) : (
          <code>{v.value}</code>
        )}
      </span>
      <time class="muted" dateTime={v.updatedAt} title={when(v.updatedAt)}>
        {ago(v.updatedAt)}
      </time>
      <BusyButton
        class="small danger"
        busy={remove.busy}
        busyLabel="Removing…"
        onClick={() => void remove.run()}
        aria-label={`Remove ${v.key} from ${v.environment}`}
      >
        Remove
      </BusyButton>
      <ErrorMessage error={remove.error} />
    </li>
  );
}

function AddVariable({ path, onChanged }: { path: string; onChanged: () => void }) {
  const [key, setKey] = useState("");
  const [value, setValue] = useState("");
  const [secret, setSecret] = useState(false);
  const [target, setTarget] = useState<Environment | "both">("both");
  const save = useAction(async () => {
    const envs: Environment[] = target === "both" ? ["production", "preview"] : [target];
    for (const env of envs) await api.put(`${path}/${env}/${seg(key.trim())}`, { value, secret });
    setKey("");
    setValue("");
    setSecret(false);
    onChanged();
  });
  return (
    <form
      class="card stack"
      aria-labelledby="add-var-title"
      onSubmit={(e) => {
        e.preventDefault();
        void save.run();
      }}
    >
      <h2 id="add-var-title">Add or change a variable</h2>
      <p class="hint">Setting a name that exists replaces its value. Builds started after this use it.</p>
      <div class="cols">
        <label>
          Name
          <input
            name="key"
            required
            spellcheck={false}
            value={key}
            onInput={(e) => setKey(e.currentTarget.value)}
          />
        </label>
        <label>
          Value
          <input
            name="value"
            type={secret ? "password" : "text"}
            autocomplete="off"
            spellcheck={false}
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
          />
        </label>
        <label>
          Environment
          <select
            name="environment"
            value={target}
            onChange={(e) => setTarget(e.currentTarget.value as Environment | "both")}
          >
            <option value="both">Production and preview</option>
            <option value="production">Production</option>
            <option value="preview">Preview</option>
          </select>
        </label>
      </div>
      <label class="check">
        <input
          type="checkbox"
          name="secret"
          checked={secret}
          onChange={(e) => setSecret(e.currentTarget.checked)}
        />
        Secret: write-only, and masked in build logs
      </label>
      <ErrorMessage error={save.error} />
      <BusyButton type="submit" class="primary" busy={save.busy} busyLabel="Saving…">
        Save variable
      </BusyButton>
    </form>
  );
}

function Variables({ project }: { project: Project }) {
  const path = `/projects/${seg(project.name)}/env`;
  const vars = useResource(() => api.get<{ variables: EnvVar[] }>(path).then((r) => r.variables), project.id);
  const reload = () => void vars.reload();
  return (
    <>
      <AddVariable path={path} onChanged={reload} />
      <ErrorMessage error={vars.error} prefix="Could not load the variables" />
      {!vars.data && !vars.error && <Loading what="variables" />}
      {vars.data &&
        ENVIRONMENTS.map(({ env, label, about }) => {
          const list = (vars.data ?? []).filter((v) => v.environment === env);
          return (
            <section key={env} aria-labelledby={`env-${env}`}>
              <h2 id={`env-${env}`}>{label}</h2>
              <p class="hint">{about}</p>
              {list.length === 0 ? (
                <p class="muted">No variables.</p>
              ) : (
                <ul class="list" aria-label={`${label} variables`}>
                  {list.map((v) => (
                    <VariableRow key={`${v.environment}:${v.key}`} v={v} path={path} onChanged={reload} />
                  ))}
                </ul>
              )}
            </section>
          );
        })}
    </>
  );
}

/** Environment variables per environment; secret values never come back from the API. */
export function EnvPage() {
  const { params } = useRoute();
  const project = useProject(params.name ?? "");
  return (
    <ProjectFrame project={project} tab="env" title="Environment variables">
      {(p) => <Variables project={p} />}
    </ProjectFrame>
  );
}
