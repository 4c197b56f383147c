"""Word lists the blame rules use to recognise people: common first names, roles, and tools named like people."""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """The whitespace-separated words of a text, as a set."""
    return frozenset(text.split())


# A broad, international sample of given names; a name not listed here is still recognised when the
# document names it (authors, reviewers, owners, timeline actors) or when it is the subject of a
# verb only people do ("forgot", "neglected").
FIRST_NAMES: frozenset[str] = words(
    """
    Aaron Abby Abdul Abdullah Abigail Adam Adrian Agnes Ahmad Ahmed Aidan Aiko Aisha Akira Alan Albert Alejandro
    Aleksandr Alex Alexander Alexandra Alexei Ali Alice Alicia Alina Alison Allison Amanda Amelia Amir Amit Amy Ana
    Anders Andre Andrea Andreas Andrei Andrew Andy Angela Anil Anita Anja Ann Anna Anne Annika Anton Antonio Anya
    Arjun Arne Arthur Arun Asha Ashley Astrid Audrey Ava Ayesha Barbara Beatriz Ben Benjamin Bernd Beth Bjorn
    Björn Blake Bob Boris Brad Brandon Brenda Brian Bruno Bryan Caitlin Camila Carl Carla Carlos Carmen Caroline
    Carsten Catherine Charlie Charlotte Chen Chris Christian Christina Christine Christoph Christopher Claire Claudia
    Colin Connor Craig Cristina Dan Dana Daniel Daniela Danielle Daria Dave David Deepak Denis Dennis Derek Diana
    Diego Dimitri Dmitri Dmitry Dominik Donna Doug Douglas Dylan Ed Eddie Edward Elena Eli Elias Elif Elijah Elisa
    Elizabeth Ella Ellen Emil Emilia Emily Emma Eric Erik Erin Ethan Eva Evan Eve Fabian Fatima Felipe Felix
    Fernando Filip Finn Fiona Florian Francesca Francisco Frederik Freya Gabriel Gabriela Gareth Gary Georg George
    Gina Giovanni Giulia Greg Gregory Gustav Hana Hannah Hans Harald Harry Hassan Heather Hector Heidi Helen Helena
    Henrik Henry Hiroshi Holly Hugo Hussein Ian Ibrahim Igor Ilya Imran Ines Ingrid Irina Isaac Isabel Isabella
    Ivan Jack Jacob Jake James Jamie Jan Jana Jane Janet Jasmine Jason Javier Jay Jeff Jeffrey Jennifer Jenny Jenna
    Jens Jeremy Jessica Jill Jim Jo Joachim Joanna Joao João Joe Joel Johan Johannes John Jon Jonas Jonathan
    Jordan Jorge Jose José Joseph Josh Joshua Juan Julia Julian Juliana Julie Jun Justin Kai Karen Karin Karl
    Kasper Kate Katherine Kathryn Katie Katrin Kavya Keith Kelly Ken Kenji Kevin Kim Kirsten Klaus Kofi Kristian
    Kumar Kyle Lakshmi Lara Lars Laura Lauren Lea Leah Lee Leila Lena Leo Leon Leonardo Li Liam Lily Lin Linda Lisa
    Liu Lorenzo Louis Louise Lucas Lucia Lucy Luis Luka Lukas Luke Maciej Magnus Mai Malik Manuel Marc Marcel
    Marco Marcus Margaret Maria Mariana Marie Marina Mario Marius Mark Marta Martin Mary Mateo Matt Matthew Matthias
    Max Maya Megan Mehmet Mei Melissa Mette Mia Michael Michal Michelle Miguel Mikael Mike Mikkel Milan Ming Mohamed
    Mohammed Morten Nadia Naomi Natalia Natalie Nathan Neha Nicholas Nick Niklas Nikolai Nils Nina Noah Nora Oleg
    Oliver Olivia Omar Oscar Pablo Paolo Patricia Patrick Paul Paula Pedro Per Peter Petra Philip Phillip Pierre
    Pooja Prakash Priya Rachel Rafael Rahul Raj Rajesh Ramon Rana Raphael Rasmus Ravi Rebecca Ricardo Richard Rick
    Rita Rob Robert Roberto Robin Rohan Roman Ron Rosa Ruben Rui Ruth Ryan Sabine Sacha Sadia Sahil Sam Samantha
    Samir Samuel Sandra Sanjay Sara Sarah Sasha Scott Sean Sebastian Sergei Sergey Shawn Shreya Simon Sofia Sonia
    Sophia Sophie Stefan Stefanie Stephanie Stephen Steve Steven Sunil Susan Sven Takeshi Tamara Tanya Tariq Ted
    Teresa Thomas Tim Timothy Tobias Todd Tom Tomas Tomás Tommy Tony Tore Torben Tyler Ulrich Uma Valentina Vanessa
    Vera Victor Victoria Vijay Viktor Vincent Vivek Wang Wei Wendy William Wojciech Xavier Yan Yasmin Yuki Yusuf
    Zara Zoe Zoltan
    """
)

# Tools, products and services named like people.
TOOLS: frozenset[str] = words(
    """
    Jenkins Travis Alexa Siri Ruby Julia Hudson Jarvis Bamboo Rails Jasper Flux Helm Kafka Grafana Sentry
    Terraform Kubernetes Postgres PostgreSQL Redis Traefik Ansible Puppet Chef Consul Vault Nomad Prometheus
    Alertmanager PagerDuty Opsgenie Slack Jira GitHub GitLab Docker Linux Windows Azure Google Amazon AWS
    Cloudflare Fastly Akamai Nginx Envoy Istio Linkerd Elasticsearch Kibana Logstash CoreDNS Calico Cilium
    Argo ArgoCD Spinnaker Datadog Splunk Heroku Vercel Netlify Lambda Kinesis Cassandra MySQL MongoDB Mongo
    Zookeeper ZooKeeper Celery Sidekiq Django Flask Rust Python Java Go Node Deno Bun Hermes Apollo Atlas Athena
    Zeus Orion Phoenix
    """
)
# Given names that are also everyday words ("Will", "Mark"), and months.
WORD_NAMES: frozenset[str] = words(
    """
    Max May June April August Will Mark Bill Grace Hope Faith Joy Rose Summer Chase Drew Sue Guy Pat Rich Ray
    Dawn Penny Sky Glen Dean Don Gene Frank Lance Miles Norm Reed Rod
    """
)
# Never taken as a person from the sentence alone (only when the document names them).
NOT_PEOPLE: frozenset[str] = TOOLS | WORD_NAMES

# Capitalised words that begin sentences and never name a person.
SENTENCE_WORDS: frozenset[str] = words(
    """
    The A An This That These Those It Its We Our They Their There Then When While After Before Because Since
    As If In On At By For From With Without During Once Until Although Though However Also And But Or So No
    Nobody Somebody Someone Everyone Everybody Nothing Something Each Every All Any Some Both Either Neither
    One Two Three Several Many Most Much More Few Other Another Such Here Why What Which Who Whom How Where
    Root Cause Trigger Summary Impact Detection Resolution Timeline Action Actions Contributing Factor Factors
    Lessons Lesson Note Update Status Incident Outage Alert Alerts Team Teams Customer Customers User Users
    Engineering Platform Operations Ops Support Security Infrastructure Cloud Data Database Network Release
    Production Staging Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March
    September October November December UTC CET CEST PST PDT EST EDT GMT TODO Yes Not Never Only Just
    Initially Later Finally Eventually Meanwhile Unfortunately Fortunately Luckily Apparently Frankly Overall
    Hence Thus Therefore Afterwards Subsequently Additionally Furthermore Moreover Instead Still Yet
    """
)
