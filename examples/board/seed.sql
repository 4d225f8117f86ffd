-- Demo data for examples/board (make demo loads it into a fresh database).
-- The users come first: a task's assignee refers to one (ids 1-4 below).
-- Users (docs/auth.md), every one with the password kiln-board-demo (an
-- argon2id hash, as `kiln user create` writes it): ana is an admin (and staff: the admin at /admin/), ben an
-- editor, chen a viewer, and root a superuser. chen is a member of the
-- Mobile app only, so it sees that project alone (api/_hooks/project.c).
-- An API token: `kiln token create ben` prints one.
INSERT INTO kiln_user (username, email, name, password, superuser, staff, created) VALUES
  ('ana', 'ana@example.org', 'Ana', '$argon2id$v=19$m=65536,t=2,p=1$tw6vs3dfP0vKpTw2/bvIHg$6Rs4G+3g9VJnhH5OOojW9aFGgXao0sdXUGqeEjYxMYI', FALSE, TRUE, '2026-11-01 09:00:00.000000+00'),
  ('ben', 'ben@example.org', 'Ben', '$argon2id$v=19$m=65536,t=2,p=1$tw6vs3dfP0vKpTw2/bvIHg$6Rs4G+3g9VJnhH5OOojW9aFGgXao0sdXUGqeEjYxMYI', FALSE, FALSE, '2026-11-01 09:00:00.000000+00'),
  ('chen', 'chen@example.org', 'Chen', '$argon2id$v=19$m=65536,t=2,p=1$tw6vs3dfP0vKpTw2/bvIHg$6Rs4G+3g9VJnhH5OOojW9aFGgXao0sdXUGqeEjYxMYI', FALSE, FALSE, '2026-11-01 09:00:00.000000+00'),
  ('root', 'root@example.org', 'Root', '$argon2id$v=19$m=65536,t=2,p=1$tw6vs3dfP0vKpTw2/bvIHg$6Rs4G+3g9VJnhH5OOojW9aFGgXao0sdXUGqeEjYxMYI', TRUE, TRUE, '2026-11-01 09:00:00.000000+00');
INSERT INTO kiln_user_role (user_id, role) VALUES (1, 'admin'), (2, 'editor'), (3, 'viewer');
INSERT INTO project (name, description, created) VALUES
  ('Website relaunch', 'The new marketing site, in time for the spring campaign.', '2026-11-02 09:00:00.000000+00'),
  ('Mobile app', 'Version 2 of the iOS and Android apps.', '2026-11-10 14:30:00.000000+00');
INSERT INTO tag (name) VALUES ('design'), ('backend'), ('bug'), ('copy');
INSERT INTO task (project_id, title, description, status, priority, due, assignee_id, estimate, created, updated) VALUES
  (1, 'Pick the colour palette', 'Three options for the review on Friday.', 'done', 'normal', '2026-11-20', 1, '4.0', '2026-11-02 09:10:00.000000+00', '2026-11-18 16:00:00.000000+00'),
  (1, 'Write the landing page copy', NULL, 'doing', 'high', '2026-12-10', 2, '6.5', '2026-11-03 10:00:00.000000+00', '2026-11-25 11:00:00.000000+00'),
  (1, 'Set up the contact form', 'Messages go to the sales inbox.', 'todo', 'normal', '2026-12-15', NULL, '3.0', '2026-11-04 08:00:00.000000+00', '2026-11-04 08:00:00.000000+00'),
  (1, 'Fix the broken hero image on Safari', NULL, 'todo', 'high', '2026-12-08', 1, NULL, '2026-11-28 15:20:00.000000+00', '2026-11-28 15:20:00.000000+00'),
  (2, 'Offline mode for the task list', 'Keep the last sync on the device.', 'doing', 'normal', '2027-01-20', 3, '16.0', '2026-11-10 15:00:00.000000+00', '2026-12-01 09:00:00.000000+00'),
  (2, 'Push notifications', NULL, 'todo', 'low', NULL, NULL, NULL, '2026-11-11 09:00:00.000000+00', '2026-11-11 09:00:00.000000+00');
INSERT INTO task_tags (task_id, tag_id) VALUES (1, 1), (2, 4), (3, 2), (4, 3), (4, 1), (5, 2);
INSERT INTO comment (task_id, author, body, created) VALUES
  (2, 'Ana', 'The headline should mention the free trial.', '2026-11-20 10:00:00.000000+00'),
  (2, 'Ben', 'Agreed, draft two is in the doc.', '2026-11-21 09:30:00.000000+00'),
  (4, 'Chen', 'Only on Safari 17 and older, it seems.', '2026-11-28 16:00:00.000000+00');
INSERT INTO member (project_id, user_id) VALUES (1, 2), (2, 2), (2, 3);
