/** Where build cache archives live (storage, through the API's cache endpoints of the build). */
export interface CacheStore {
  /** Copies the archive stored under `key` to `file`; false when there is none. */
  get(key: string, file: string): Promise<boolean>;
  /** Stores `file` under `key`, replacing what was there. */
  put(key: string, file: string): Promise<void>;
}

/** Where a project is, for privileged code (`host`, its real path) and for the jail (`inside`). */
export interface ProjectPaths {
  host: string;
  inside: string;
}
