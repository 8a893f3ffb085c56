-- 常用回复: reply templates per case kind and (for feedback) category, managed by staff.
CREATE TABLE reply_templates (
  id INTEGER PRIMARY KEY,
  kind TEXT CHECK (kind IN ('help', 'apply', 'speak')),          -- null: any kind
  category TEXT CHECK (category IN ('suggestion', 'complaint', 'enquiry', 'request', 'praise')),
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  created_by INTEGER REFERENCES users(id),
  created_at TEXT NOT NULL
);

INSERT INTO reply_templates (kind, category, title, body, created_at) VALUES
  (NULL, NULL, '已收到，正在核实', '您好，您反映的情况我们已经收到，正在核实，会尽快给您答复。', '2026-01-01T00:00:00.000Z'),
  ('apply', NULL, '材料齐全，代办中', '您好，您的申请材料已齐全，村里已为您代办，办结后会电话通知您。', '2026-01-01T00:00:00.000Z'),
  ('apply', NULL, '请补充材料', '您好，办理这个事项还需要补充材料，请带上居民身份证和户口簿到村便民服务站，我们帮您办理。', '2026-01-01T00:00:00.000Z'),
  ('speak', 'complaint', '已安排处理', '您好，您投诉的问题已安排专人处理，处理结果会在这里告诉您。', '2026-01-01T00:00:00.000Z'),
  ('speak', 'praise', '感谢表扬', '感谢您的肯定！我们会继续努力，把服务做得更好。', '2026-01-01T00:00:00.000Z'),
  ('help', NULL, '已电话联系', '您好，我们已经电话联系过您，有其他需要请随时在这里留言。', '2026-01-01T00:00:00.000Z');
