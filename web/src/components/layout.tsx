import type { ComponentChildren } from "preact";
import { useLocation } from "preact-iso";
import { useAction } from "../lib/hooks.ts";
import { useSession } from "../session.ts";
import { ErrorMessage } from "./error-message.tsx";

function NavLink({ href, children, exact }: { href: string; children: ComponentChildren; exact?: boolean }) {
  const { path } = useLocation();
  const active = exact ? path === href : path === href || path.startsWith(`${href}/`);
  return (
    <a href={href} aria-current={active ? "page" : undefined}>
      {children}
    </a>
  );
}

/** The page frame: skip link, header with navigation and the account, then the page. */
export function Layout({ children }: { children: ComponentChildren }) {
  const { user, signOut } = useSession();
  const out = useAction(signOut);
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/">
          <span class="logo" aria-hidden="true" />
          Miaobu
        </a>
        <nav aria-label="Main">
          <NavLink href="/" exact>
            Projects
          </NavLink>
          <NavLink href="/account">Account</NavLink>
        </nav>
        <div class="who">
          <span class="email" title={user.email}>
            {user.email}
          </span>
          <button type="button" class="link" onClick={() => void out.run()} disabled={out.busy}>
            {out.busy ? "Signing out…" : "Sign out"}
          </button>
        </div>
      </header>
      {out.error && (
        <div class="wrap">
          <ErrorMessage error={out.error} />
        </div>
      )}
      <main id="main" class="wrap" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
