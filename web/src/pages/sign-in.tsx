import { useEffect, useState } from "preact/hooks";
import { api } from "../api/client.ts";
import type { Providers, User } from "../api/types.ts";
import { ErrorMessage } from "../components/error-message.tsx";
import { BusyButton, useTitle } from "../components/ui.tsx";
import { useAction } from "../lib/hooks.ts";

/** Sign in with the local account, or with GitHub when the platform has it configured. */
export function SignInPage({ expired, onSignedIn }: { expired: boolean; onSignedIn: (user: User) => void }) {
  useTitle("Sign in");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [providers, setProviders] = useState<Providers | null>(null);
  useEffect(() => {
    api
      .get<Providers>("/auth/providers", { quiet401: true })
      .then(setProviders)
      .catch(() => setProviders(null));
  }, []);
  const signIn = useAction(async () => {
    const { user } = await api.post<{ user: User }>("/auth/session", { email, password });
    onSignedIn(user);
  });
  const github = providers?.github.enabled && providers.github.startUrl ? providers.github.startUrl : null;

  return (
    <main class="sign-in" id="main">
      <h1>
        <span class="logo" aria-hidden="true" /> Sign in to Miaobu
      </h1>
      {expired && (
        <p class="notice" role="status">
          Your session has ended. Sign in again to continue.
        </p>
      )}
      <form
        class="card stack"
        onSubmit={(e) => {
          e.preventDefault();
          void signIn.run();
        }}
      >
        <label>
          Email
          <input
            type="email"
            name="email"
            autocomplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </label>
        <label>
          Password
          <input
            type="password"
            name="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <ErrorMessage error={signIn.error} />
        <BusyButton type="submit" class="primary" busy={signIn.busy} busyLabel="Signing in…">
          Sign in
        </BusyButton>
        {github && (
          <a class="button" href={github}>
            Sign in with GitHub
          </a>
        )}
      </form>
      <p class="muted small-print">
        On a local platform the account is <code>admin@localhost</code>; <code>npm start</code> prints its
        password on first start.
      </p>
    </main>
  );
}
