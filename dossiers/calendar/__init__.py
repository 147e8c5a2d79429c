"""The working calendar: which days and hours count toward a dossier's legal time.

- `engine`: the pure arithmetic (`WorkingCalendar`, Vietnam's holidays, recomputing due dates);
- `store`: the calendar of the database (the admin's exceptions, cached per process);
- `year`: the admin's year view;
- `changes`: a calendar change moves the open dossiers it delays.

It knows nothing of forms or views; `dossiers.deadlines` puts the dossier rules on top of it.
"""
