/**
 * A customer's age in whole years by birth year, as of the day `day` (a SQL date expression), over the customer row
 * `u`: the year of the day minus the birth year, so one more than the exact age before the birthday in that year.
 * The birthday itself is sealed (docs/privacy.md); only its year and month are plain. The age_years attribute and
 * the incremental update's search for customers whose age changes between two days (scope.ts) both use it.
 */
export const ageYearsSql = (day: string): string => `CAST(extract(year FROM ${day}) - u.birth_year AS INTEGER)`;
