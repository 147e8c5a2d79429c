"""What the portal prints and says: one wording (`wording`), the PDF writer (`pdf`), the slips
handed to the applicant (Forms 01-04, `slips`) and the office's records (Forms 05-06, `records`).
"""
