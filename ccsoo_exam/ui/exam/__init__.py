"""The candidate's exam: unlock, check-in, instructions, questions, review, receipt."""
