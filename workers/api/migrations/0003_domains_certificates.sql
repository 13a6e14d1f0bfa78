CREATE TABLE `certificates` (
	`domain_id` text PRIMARY KEY NOT NULL,
	`hostname` text NOT NULL,
	`provider` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`challenge_token` text,
	`challenge_response` text,
	`certificate_pem` text,
	`private_key_encrypted` text,
	`external_id` text,
	`not_before` integer,
	`expires_at` integer,
	`last_error` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`domain_id`) REFERENCES `domains`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `certificates_hostname_idx` ON `certificates` (`hostname`);--> statement-breakpoint
CREATE INDEX `certificates_next_idx` ON `certificates` (`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `domains` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text NOT NULL,
	`hostname` text NOT NULL,
	`verification_token` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`detail` text,
	`deployment_id` text,
	`verified_at` integer,
	`checked_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `domains_project_hostname_idx` ON `domains` (`project_id`,`hostname`);--> statement-breakpoint
CREATE INDEX `domains_hostname_idx` ON `domains` (`hostname`);--> statement-breakpoint
CREATE INDEX `domains_checked_idx` ON `domains` (`checked_at`);