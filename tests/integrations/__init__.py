"""Tests of service/integrations/: the compatible APIs."""
