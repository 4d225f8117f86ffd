-- 0005_task_assignee_users.sql - written by hand: the data step between
-- 0004 (task.assignee, a reference to the user) and 0006 (the old text
-- column, renamed assignee_name by 0003, dropped). A task whose assignee
-- text is a user's username (in any case, spaces around ignored) gets
-- that user; any other text leaves the task without an assignee.
UPDATE task SET assignee_id = (
  SELECT kiln_user.id FROM kiln_user
  WHERE lower(kiln_user.username) = lower(trim(task.assignee_name)))
WHERE assignee_name IS NOT NULL;
-- kiln:down
UPDATE task SET assignee_name = (
  SELECT kiln_user.username FROM kiln_user
  WHERE kiln_user.id = task.assignee_id)
WHERE assignee_id IS NOT NULL;
