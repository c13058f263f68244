"""Lawful grounds for sharing a report beyond the recipient the pupil chose.

A report goes to the recipient the pupil chose. Every sharing beyond that — a referral, a
hand-over, a copy to the centre, a notification (通告) — records exactly one ground from this
table, and the pupil reads in the thread who else knows and why:

- `consent`: the pupil said いいよ (本人の同意), recorded with its time;
- `life_or_body`: protecting the child's life or body when consent cannot be had in time
  (suicide risk, abuse with injury) — the ground the personal-information rules of public
  bodies recognise;
- `bullying_duty`: いじめ防止対策推進法 第23条: school staff who hear of bullying must tell the
  school's organisation for bullying measures (第22条): a nurse → the school's team, bullying only;
- `legal_duty`: another duty to notify named by staff, chiefly 児童虐待防止法 第6条, which is a
  notification to 市町村, a 福祉事務所 or the 児童相談所 — never a ground for giving a school the
  thread.

The centre, being outside the school, shares with a school only on `consent` or `life_or_body`.
"""

GROUNDS = ("consent", "life_or_body", "bullying_duty", "legal_duty")
