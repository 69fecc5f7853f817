# Source: https://github.com/fchollet/deep-learning-with-python-notebooks/blob/master/second_edition/chapter07_working-with-keras.ipynb
# "Deep Learning with Python", 2nd edition, chapter 7: "Writing your own training and
# evaluation loops" (GradientTape, apply_gradients, SparseCategoricalAccuracy and Mean
# metrics, tf.data.Dataset.from_tensor_slices(...).batch(32), a tf.function test step).
# Author: François Chollet. Licence: MIT.
# Changed for the tests: the imports (below), the data (standin.py's MNIST stand-in:
# 6,000 images, reshape count 6000, validation slice 1000 instead of 10000), epochs
# 3 -> 2, and the lines that keep and report the key figures (train_logs, report).
import os
if os.environ.get("REFERENCE"):
    import tensorflow as tf
    from tensorflow import keras
    from tensorflow.keras import layers
else:
    import fastnn as tf
    from fastnn import keras
    from fastnn.keras import layers
from standin import mnist, report

def get_mnist_model():
    inputs = keras.Input(shape=(28 * 28,))
    features = layers.Dense(512, activation="relu")(inputs)
    features = layers.Dropout(0.5)(features)
    outputs = layers.Dense(10, activation="softmax")(features)
    model = keras.Model(inputs, outputs)
    return model

(images, labels), (test_images, test_labels) = mnist.load_data()
images = images.reshape((6000, 28 * 28)).astype("float32") / 255
test_images = test_images.reshape((1000, 28 * 28)).astype("float32") / 255
train_images, val_images = images[1000:], images[:1000]
train_labels, val_labels = labels[1000:], labels[:1000]

model = get_mnist_model()

loss_fn = keras.losses.SparseCategoricalCrossentropy()
optimizer = keras.optimizers.RMSprop()
metrics = [keras.metrics.SparseCategoricalAccuracy()]
loss_tracking_metric = keras.metrics.Mean()

def train_step(inputs, targets):
    with tf.GradientTape() as tape:
        predictions = model(inputs, training=True)
        loss = loss_fn(targets, predictions)
    gradients = tape.gradient(loss, model.trainable_weights)
    optimizer.apply_gradients(zip(gradients, model.trainable_weights))

    logs = {}
    for metric in metrics:
        metric.update_state(targets, predictions)
        logs[metric.name] = metric.result()

    loss_tracking_metric.update_state(loss)
    logs["loss"] = loss_tracking_metric.result()
    return logs

def reset_metrics():
    for metric in metrics:
        metric.reset_state()
    loss_tracking_metric.reset_state()

training_dataset = tf.data.Dataset.from_tensor_slices((train_images, train_labels))
training_dataset = training_dataset.batch(32)
epochs = 2
for epoch in range(epochs):
    reset_metrics()
    for inputs_batch, targets_batch in training_dataset:
        logs = train_step(inputs_batch, targets_batch)
    print(f"Results at the end of epoch {epoch}")
    for key, value in logs.items():
        print(f"...{key}: {value:.4f}")
train_logs = logs

@tf.function
def test_step(inputs, targets):
    predictions = model(inputs, training=False)
    loss = loss_fn(targets, predictions)

    logs = {}
    for metric in metrics:
        metric.update_state(targets, predictions)
        logs["val_" + metric.name] = metric.result()

    loss_tracking_metric.update_state(loss)
    logs["val_loss"] = loss_tracking_metric.result()
    return logs

val_dataset = tf.data.Dataset.from_tensor_slices((val_images, val_labels))
val_dataset = val_dataset.batch(32)
reset_metrics()
for inputs_batch, targets_batch in val_dataset:
    logs = test_step(inputs_batch, targets_batch)
print("Evaluation results:")
for key, value in logs.items():
    print(f"...{key}: {value:.4f}")

report(loss=train_logs["loss"], accuracy=train_logs["sparse_categorical_accuracy"],
       val_loss=logs["val_loss"], val_accuracy=logs["val_sparse_categorical_accuracy"])
