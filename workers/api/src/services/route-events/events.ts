import type { RouteChange } from "@miaobu/shared";

/** Where the API announces route changes (docs/scale.md): the router's binding, Cloudflare's purge by tag. */
export interface RouteEvents {
  /** `added`: hosts that did not point at the project before, whose "no site here" a colo may hold. */
  changed(change: RouteChange, added: readonly string[]): Promise<void>;
}
