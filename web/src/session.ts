// Who is signed in, shared by every page.
import { createContext } from "preact";
import { useContext } from "preact/hooks";
import type { User } from "./api/types.ts";

export interface Session {
  user: User;
  signOut: () => Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

/** The signed-in user; only used below the sign-in gate, where there always is one. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside the signed-in part of the console");
  return session;
}
