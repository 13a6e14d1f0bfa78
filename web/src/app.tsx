import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { LocationProvider, Route, Router } from "preact-iso";
import { api, setUnauthorizedHandler } from "./api/client.ts";
import type { User } from "./api/types.ts";
import { Layout } from "./components/layout.tsx";
import { AccountPage } from "./pages/account.tsx";
import { NewProjectPage } from "./pages/new-project.tsx";
import { NotFoundPage } from "./pages/not-found.tsx";
import { DeploymentPage } from "./pages/project/deployment.tsx";
import { DomainsPage } from "./pages/project/domains.tsx";
import { EnvPage } from "./pages/project/env.tsx";
import { HooksPage } from "./pages/project/hooks.tsx";
import { ProjectPage } from "./pages/project/overview.tsx";
import { SettingsPage } from "./pages/project/settings.tsx";
import { ProjectsPage } from "./pages/projects.tsx";
import { SignInPage } from "./pages/sign-in.tsx";
import { type Session, SessionContext } from "./session.ts";

type AuthState =
  | { kind: "checking" }
  | { kind: "signed-out"; expired: boolean }
  | { kind: "signed-in"; user: User };

/** The console: a sign-in gate in front of the routed pages. */
export function App() {
  const [auth, setAuth] = useState<AuthState>({ kind: "checking" });

  useEffect(() => {
    setUnauthorizedHandler(() =>
      setAuth((current) => (current.kind === "signed-in" ? { kind: "signed-out", expired: true } : current)),
    );
    api
      .get<{ user: User }>("/me", { quiet401: true })
      .then(({ user }) => setAuth({ kind: "signed-in", user }))
      .catch(() => setAuth({ kind: "signed-out", expired: false }));
  }, []);

  const signOut = useCallback(async () => {
    await api.del("/auth/session");
    setAuth({ kind: "signed-out", expired: false });
  }, []);

  const session = useMemo<Session | null>(
    () => (auth.kind === "signed-in" ? { user: auth.user, signOut } : null),
    [auth, signOut],
  );

  if (auth.kind === "checking") {
    return (
      <p class="splash" role="status">
        Loading the console…
      </p>
    );
  }
  if (auth.kind === "signed-out" || !session) {
    return (
      <SignInPage
        expired={auth.kind === "signed-out" && auth.expired}
        onSignedIn={(user) => setAuth({ kind: "signed-in", user })}
      />
    );
  }
  return (
    <SessionContext.Provider value={session}>
      <LocationProvider>
        <Layout>
          <Router>
            <Route path="/" component={ProjectsPage} />
            <Route path="/new" component={NewProjectPage} />
            <Route path="/account" component={AccountPage} />
            <Route path="/projects/:name" component={ProjectPage} />
            <Route path="/projects/:name/deployments/:id" component={DeploymentPage} />
            <Route path="/projects/:name/domains" component={DomainsPage} />
            <Route path="/projects/:name/env" component={EnvPage} />
            <Route path="/projects/:name/hooks" component={HooksPage} />
            <Route path="/projects/:name/settings" component={SettingsPage} />
            <Route default component={NotFoundPage} />
          </Router>
        </Layout>
      </LocationProvider>
    </SessionContext.Provider>
  );
}
