"""The Test Connection diagnostic (contract: docs/reference/doctor-report.md)."""

from amzauth.doctor.run import (
    EXIT_FOR_REPORT,
    DoctorReport,
    diagnose_api_answer,
    diagnose_token_answer,
    run_doctor,
)

__all__ = ["EXIT_FOR_REPORT", "DoctorReport", "diagnose_api_answer", "diagnose_token_answer", "run_doctor"]
