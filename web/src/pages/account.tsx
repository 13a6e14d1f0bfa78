import { useState } from "preact/hooks";
import { api, seg } from "../api/client.ts";
import type { ApiToken, Scope } from "../api/types.ts";
import { ErrorMessage } from "../components/error-message.tsx";
import { BusyButton, CopyButton, Loading, useTitle } from "../components/ui.tsx";
import { ago, when } from "../lib/format.ts";
import { useAction, useResource } from "../lib/hooks.ts";
import { useSession } from "../session.ts";

const SCOPES: { scope: Scope; about: string }[] = [
  { scope: "read", about: "read projects, deployments and logs" },
  { scope: "deploy", about: "deploy, promote, roll back and trigger builds" },
  { scope: "admin", about: "everything, including settings, variables and deleting" },
];

const EXPIRY = [7, 30, 90, 365];

function CreateToken({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Scope[]>(["deploy"]);
  const [days, setDays] = useState(90);
  const [secret, setSecret] = useState<string | null>(null);
  const create = useAction(async () => {
    const { token } = await api.post<{ token: string }>("/tokens", {
      name: name.trim(),
      scopes,
      expiresInDays: days,
    });
    setSecret(token);
    setName("");
    onCreated();
  });
  const toggle = (scope: Scope, on: boolean) =>
    setScopes(on ? [...scopes.filter((s) => s !== scope), scope] : scopes.filter((s) => s !== scope));
  return (
    <form
      class="card stack"
      aria-labelledby="new-token-title"
      onSubmit={(e) => {
        e.preventDefault();
        void create.run();
      }}
    >
      <h2 id="new-token-title">Create a token</h2>
      <label>
        Name
        <input
          name="tokenName"
          required
          maxLength={100}
          placeholder="CI on main"
          value={name}
          onInput={(e) => setName(e.currentTarget.value)}
        />
      </label>
      <fieldset>
        <legend>Scopes</legend>
        {SCOPES.map(({ scope, about }) => (
          <label key={scope} class="check">
            <input
              type="checkbox"
              name="scope"
              value={scope}
              checked={scopes.includes(scope)}
              onChange={(e) => toggle(scope, e.currentTarget.checked)}
            />
            <strong>{scope}</strong>: {about}
          </label>
        ))}
      </fieldset>
      <label>
        Expires after
        <select
          name="expiresInDays"
          value={String(days)}
          onChange={(e) => setDays(Number(e.currentTarget.value))}
        >
          {EXPIRY.map((d) => (
            <option key={d} value={String(d)}>
              {d} days
            </option>
          ))}
        </select>
      </label>
      <ErrorMessage error={create.error} />
      {secret && (
        <div class="secret-once" role="status">
          <p>
            <strong>Copy this token now.</strong> It is shown only once.
          </p>
          <div class="row">
            <code class="grow break" data-testid="new-token">
              {secret}
            </code>
            <CopyButton text={secret} />
          </div>
        </div>
      )}
      <BusyButton
        type="submit"
        class="primary"
        busy={create.busy}
        busyLabel="Creating…"
        disabled={scopes.length === 0}
      >
        Create token
      </BusyButton>
    </form>
  );
}

function TokenRow({ token: t, onChanged }: { token: ApiToken; onChanged: () => void }) {
  const revoke = useAction(async () => {
    const warning = t.current ? " It is the token this console is using; you will be signed out." : "";
    if (!window.confirm(`Revoke the token "${t.name}"?${warning}`)) return;
    await api.del(`/tokens/${seg(t.id)}`);
    onChanged();
  });
  return (
    <li class="card row token" data-token={t.id}>
      <div class="grow">
        <strong>{t.name}</strong> {t.current && <span class="badge ok">this session</span>}
        <div class="meta muted">
          <span>{t.scopes.join(", ")}</span>
          <span title={when(t.createdAt)}>created {ago(t.createdAt)}</span>
          <span>{t.lastUsedAt ? `last used ${ago(t.lastUsedAt)}` : "never used"}</span>
          <span>{t.expiresAt ? `expires ${ago(t.expiresAt)}` : "never expires"}</span>
        </div>
      </div>
      <BusyButton
        class="small danger"
        busy={revoke.busy}
        busyLabel="Revoking…"
        onClick={() => void revoke.run()}
        aria-label={`Revoke ${t.name}`}
      >
        Revoke
      </BusyButton>
      <ErrorMessage error={revoke.error} />
    </li>
  );
}

/** The account: who is signed in, and API tokens for the CLI and CI. */
export function AccountPage() {
  useTitle("Account");
  const { user } = useSession();
  const tokens = useResource(() => api.get<{ tokens: ApiToken[] }>("/tokens").then((r) => r.tokens), "");
  const reload = () => void tokens.reload();
  return (
    <section class="narrow">
      <h1>Account</h1>
      <p>
        Signed in as <strong>{user.email}</strong>
        {user.name ? ` (${user.name})` : ""}.
      </p>
      <h2>API tokens</h2>
      <p class="hint">
        Tokens let the <code>miaobu</code> CLI, CI jobs and scripts use the API as you. Give each the fewest
        scopes it needs.
      </p>
      <CreateToken onCreated={reload} />
      <ErrorMessage error={tokens.error} prefix="Could not load your tokens" />
      {!tokens.data && !tokens.error && <Loading what="tokens" />}
      {tokens.data?.length === 0 && <p class="muted">No tokens.</p>}
      {tokens.data && tokens.data.length > 0 && (
        <ul class="list" aria-label="API tokens">
          {tokens.data.map((t) => (
            <TokenRow key={t.id} token={t} onChanged={reload} />
          ))}
        </ul>
      )}
    </section>
  );
}
