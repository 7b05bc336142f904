"""The staff inbox of patients' texts (issue 21 A): read, answer by text, mark handled."""
