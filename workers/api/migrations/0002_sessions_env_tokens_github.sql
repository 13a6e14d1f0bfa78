CREATE TABLE `env_vars` (
	`project_id` text NOT NULL,
	`environment` text NOT NULL,
	`key` text NOT NULL,
	`value_encrypted` text NOT NULL,
	`secret` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `environment`, `key`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `github_pull_request_comments` (
	`project_id` text NOT NULL,
	`number` integer NOT NULL,
	`comment_id` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`project_id`, `number`),
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`expires_at` integer NOT NULL,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sessions_user_idx` ON `sessions` (`user_id`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`event` text NOT NULL,
	`outcome` text,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `webhook_deliveries_received_idx` ON `webhook_deliveries` (`received_at`);--> statement-breakpoint
ALTER TABLE `api_tokens` ADD `scopes` text DEFAULT '["read","deploy","admin"]' NOT NULL;--> statement-breakpoint
ALTER TABLE `deployments` ADD `pull_request` integer;--> statement-breakpoint
ALTER TABLE `projects` ADD `github_repo_id` integer;--> statement-breakpoint
ALTER TABLE `projects` ADD `github_repo_full_name` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `github_hook_id` integer;--> statement-breakpoint
ALTER TABLE `projects` ADD `github_fork_pull_requests` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `projects_github_repo_idx` ON `projects` (`github_repo_id`);--> statement-breakpoint
ALTER TABLE `users` ADD `github_id` integer;--> statement-breakpoint
ALTER TABLE `users` ADD `github_login` text;--> statement-breakpoint
ALTER TABLE `users` ADD `github_token_encrypted` text;--> statement-breakpoint
CREATE UNIQUE INDEX `users_github_id_unique` ON `users` (`github_id`);