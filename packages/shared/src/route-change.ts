/**
 * What the API tells the router when routes change (docs/scale.md): the project whose routes or serving
 * settings moved and every hostname that pointed at it before or points at it now. It carries no route data:
 * the router forgets what it holds and reads the database again, so a message can never point a host anywhere.
 */
export interface RouteChange {
  projectId: string;
  hostnames: string[];
}

/** Most hostnames one message may name; a larger change is split. */
export const ROUTE_CHANGE_MAX_HOSTNAMES = 1000;

/** Cache-Tag of a router's per-colo route entry, by hostname: purged when that host's route may change. */
export function hostRouteTag(hostname: string): string {
  return `miaobu-route-host:${hostname}`;
}

/** Cache-Tag of every per-colo route entry of a project: purged when the project's routes or settings change. */
export function projectRouteTag(projectId: string): string {
  return `miaobu-route-project:${projectId}`;
}
