// The shapes of docs/api.md that the CLI reads.

export interface User {
  id: string;
  email: string;
  name: string | null;
}

export interface Project {
  id: string;
  name: string;
  productionBranch: string;
  productionDeploymentId: string | null;
  productionUrl: string;
  createdAt: string;
  updatedAt: string;
}

export interface Deployment {
  id: string;
  shortId: string;
  projectId: string;
  project: string;
  status: "uploading" | "ready" | "failed" | (string & {});
  environment: "production" | "preview" | (string & {});
  branch: string;
  commitSha: string | null;
  commitMessage: string | null;
  source: string;
  fileCount: number;
  totalBytes: number;
  url: string;
  aliases: string[];
  isProduction: boolean;
  createdAt: string;
  readyAt: string | null;
  errorMessage: string | null;
}

export interface UploadLimits {
  maxFileBytes: number;
  maxFiles: number;
  maxBatchBytes: number;
  maxBatchFiles: number;
}
