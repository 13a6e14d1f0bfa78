ALTER TABLE `deployments` ADD `framework` text;--> statement-breakpoint
ALTER TABLE `deployments` ADD `phases` text;--> statement-breakpoint
ALTER TABLE `deployments` ADD `callback_token_hash` text;--> statement-breakpoint
ALTER TABLE `deployments` ADD `rules_report` text;--> statement-breakpoint
ALTER TABLE `deployments` ADD `heartbeat_at` integer;--> statement-breakpoint
ALTER TABLE `deployments` ADD `started_at` integer;--> statement-breakpoint
ALTER TABLE `deployments` ADD `finished_at` integer;--> statement-breakpoint
ALTER TABLE `projects` ADD `git_url` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `root_dir` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `framework` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `install_command` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `build_command` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `output_dir` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `node_version` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `build_timeout_seconds` integer DEFAULT 1200 NOT NULL;--> statement-breakpoint
ALTER TABLE `projects` ADD `deploy_hook_hash` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `trailing_slash` text DEFAULT 'auto' NOT NULL;--> statement-breakpoint
ALTER TABLE `projects` ADD `not_found` text DEFAULT 'auto' NOT NULL;--> statement-breakpoint
ALTER TABLE `projects` ADD `preview_password_hash` text;--> statement-breakpoint
ALTER TABLE `projects` ADD `skew_protection_days` integer DEFAULT 7 NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `projects_deploy_hook_hash_unique` ON `projects` (`deploy_hook_hash`);--> statement-breakpoint
ALTER TABLE `routes` ADD `previous_deployment_id` text;--> statement-breakpoint
ALTER TABLE `routes` ADD `previous_until` integer;