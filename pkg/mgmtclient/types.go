package mgmtclient

import (
	"encoding/xml"
	"time"
)

// Namespace is the XML namespace of every Service Management body.
const Namespace = "http://schemas.microsoft.com/windowsazure"

// APIVersion is the x-ms-version azcert sends. Management-certificate
// operations need 2012-03-01 or later.
const APIVersion = "2014-10-01"

// SubscriptionCertificate is a management certificate as sent to Add
// Management Certificate and returned by List/Get. Element order matters.
// https://learn.microsoft.com/previous-versions/azure/reference/jj154123(v=azure.100)
type SubscriptionCertificate struct {
	XMLName xml.Name `xml:"http://schemas.microsoft.com/windowsazure SubscriptionCertificate"`
	// PublicKey is the base64 of the PKCS#1 RSAPublicKey DER (not SubjectPublicKeyInfo).
	PublicKey string `xml:"SubscriptionCertificatePublicKey"`
	// Thumbprint is the upper-case SHA-1 hex of Data.
	Thumbprint string `xml:"SubscriptionCertificateThumbprint"`
	// Data is the base64 of the certificate's DER (for portal-made
	// certificates it may be a PKCS#12 blob instead).
	Data string `xml:"SubscriptionCertificateData"`
	// Created is set by the service in List and Get answers.
	Created *time.Time `xml:"Created,omitempty"`
}

// SubscriptionCertificates is the List Management Certificates answer.
type SubscriptionCertificates struct {
	XMLName      xml.Name                  `xml:"http://schemas.microsoft.com/windowsazure SubscriptionCertificates"`
	Certificates []SubscriptionCertificate `xml:"SubscriptionCertificate"`
}

// CertificateFile is the body of Add Service Certificate.
// https://learn.microsoft.com/previous-versions/azure/reference/ee460817(v=azure.100)
type CertificateFile struct {
	XMLName xml.Name `xml:"http://schemas.microsoft.com/windowsazure CertificateFile"`
	// Data is the base64 of the whole .pfx or .cer file.
	Data string `xml:"Data"`
	// Format is "pfx" or "cer".
	Format string `xml:"CertificateFormat"`
	// Password is the .pfx password; empty (and omitted) for a .cer.
	Password string `xml:"Password,omitempty"`
}

// Certificate is a service certificate in List/Get Service Certificate answers.
type Certificate struct {
	XMLName             xml.Name `xml:"http://schemas.microsoft.com/windowsazure Certificate"`
	CertificateURL      string   `xml:"CertificateUrl,omitempty"`
	Thumbprint          string   `xml:"Thumbprint"`
	ThumbprintAlgorithm string   `xml:"ThumbprintAlgorithm"`
	// Data is the base64 of the public certificate's DER.
	Data string `xml:"Data"`
}

// Certificates is the List Service Certificates answer.
type Certificates struct {
	XMLName      xml.Name      `xml:"http://schemas.microsoft.com/windowsazure Certificates"`
	Certificates []Certificate `xml:"Certificate"`
}

// Operation statuses.
const (
	StatusInProgress = "InProgress"
	StatusSucceeded  = "Succeeded"
	StatusFailed     = "Failed"
)

// Operation is the Get Operation Status answer.
// https://learn.microsoft.com/previous-versions/azure/reference/ee460783(v=azure.100)
type Operation struct {
	XMLName        xml.Name   `xml:"http://schemas.microsoft.com/windowsazure Operation"`
	ID             string     `xml:"ID"`
	Status         string     `xml:"Status"`
	HTTPStatusCode int        `xml:"HttpStatusCode,omitempty"`
	Error          *ErrorBody `xml:"Error,omitempty"`
}

// ErrorBody is the body of an error answer, and of a failed operation's Error.
type ErrorBody struct {
	XMLName xml.Name `xml:"http://schemas.microsoft.com/windowsazure Error"`
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
}
