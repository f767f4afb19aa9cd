-- Supersession and withdrawal of a guidance (issue 15): what replaced it, what it replaced,
-- whether NICE withdrew it, with dates as the source gives them. JSON object with the keys
-- replaced_by and replaces (lists of {guidance, date}) and withdrawn ({date, reason}); '{}'
-- for a current guidance. `status` is the short tag search shows beside the title
-- ('replaced by IPG489 (May 2014)', 'withdrawn'), '' when current.
ALTER TABLE guidance ADD COLUMN lifecycle TEXT NOT NULL DEFAULT '{}';
ALTER TABLE guidance ADD COLUMN status TEXT NOT NULL DEFAULT '';
