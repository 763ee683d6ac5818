-- Birthdays are personal data (docs/privacy.md): customers.birthday becomes TEXT holding a sealed token (e1:…, like
-- phone, email and name), and what the product computes from a birthday reads two coarse plain columns that are
-- not the birthdate: birth_year (the age attribute; the masked profile shows the year) and birth_month (1-12, for
-- 生日月 benefits and the birth-month segment field). Journey birthday waits open the sealed value.
-- Plain birthdays already stored become ISO text here (whatever the server's DateStyle); when Siyu next opens the
-- store, privacy/seal-existing.ts seals them and fills birth_year and birth_month from them.
ALTER TABLE customers ALTER COLUMN birthday TYPE TEXT USING
  CAST(CAST(extract(year FROM birthday) AS INTEGER) AS VARCHAR) || '-' ||
  lpad(CAST(CAST(extract(month FROM birthday) AS INTEGER) AS VARCHAR), 2, '0') || '-' ||
  lpad(CAST(CAST(extract(day FROM birthday) AS INTEGER) AS VARCHAR), 2, '0');
ALTER TABLE customers ADD COLUMN birth_year SMALLINT;
ALTER TABLE customers ADD COLUMN birth_month SMALLINT;
