"""The documented demo records: the README, docs and tests rely on these values (the list is in
:mod:`emulator.seed`'s docstring); each generator builds its documented record first.

Like everything in the seed, they are invented: the phone numbers use the 555-01XX block
reserved for fiction and every domain is a subdomain of ``example.com``.
"""

from __future__ import annotations

from typing import Any

ACME: dict[str, Any] = {
    "Name": "Acme Corporation",
    "Type": "Customer - Direct",
    "Industry": "Manufacturing",
    "BillingStreet": "100 Market Street",
    "BillingCity": "San Francisco",
    "BillingState": "CA",
    "BillingPostalCode": "94105",
    "BillingCountry": "United States",
    "Phone": "+1 415 555 0199",
    "Website": "https://acme.example.com",
    "AnnualRevenue": 25_000_000,
    "NumberOfEmployees": 250,
    "Rating": "Hot",
    "Ownership": "Private",
    "AccountSource": "Partner Referral",
    "AccountNumber": "CF100001",
    "Description": "Acme Corporation makes industrial equipment in San Francisco, CA.",
}
ANA: dict[str, Any] = {
    "Salutation": "Ms.",
    "FirstName": "Ana",
    "LastName": "García",
    "Name": "Ana García",
    "Title": "Head of Operations",
    "Department": "Operations",
    "Email": "ana@example.com",
    "Phone": "+1 415 555 0100",
    "LeadSource": "Partner Referral",
    "External_Id__c": "C-000001",
}
#: A caller who asked not to be called or e-mailed. The first generated contact becomes Theo (at
#: whichever account it was drawn for); his phone is stored as Salesforce's US-locale UI writes it.
THEO: dict[str, Any] = {
    "Salutation": "Mr.",
    "FirstName": "Theo",
    "LastName": "Adeyemi",
    "Name": "Theo Adeyemi",
    "Title": "Plant Manager",
    "Department": "Operations",
    "Email": "theo.adeyemi@example.com",
    "Phone": "(720) 555-0163",
    "DoNotCall": True,
    "HasOptedOutOfEmail": True,
}
MARCO: dict[str, Any] = {
    "FirstName": "Marco",
    "LastName": "Rossi",
    "Name": "Marco Rossi",
    "Title": "Facilities Manager",
    "Company": "Brightline Solar",
    "Industry": "Energy",
    "Email": "marco.rossi@brightline.example.com",
    "Phone": "+1 512 555 0142",
    "Street": "2200 Congress Avenue",
    "City": "Austin",
    "State": "TX",
    "PostalCode": "78701",
    "Country": "United States",
    "Website": "https://brightline.example.com",
    "Status": "Open - Not Contacted",
    "LeadSource": "Web",
    "Rating": "Warm",
    "NumberOfEmployees": 85,
    "AnnualRevenue": 12_000_000,
    "External_Id__c": "L-000001",
}
#: Acme's renewal: product, stage, amount, days until CloseDate.
ACME_RENEWAL = ("Platform Renewal", "Negotiation/Review", 120_000, 30)
#: Ana's case: (Subject, Type, Reason), Status, Origin, Priority.
ANA_CASE = (("Shipment arrived damaged", "Mechanical", "Breakdown"), "New", "Phone", "High")
ANA_CALL_NOTES = "Confirmed the renewal timeline and the replacement shipment."
